#include "fleet/hull_extension.h"

#include <nlohmann/json.hpp>

namespace hull::fleet::ext {
namespace {

using json = nlohmann::json;

json ParamsJson(const ClientParams& params, const HullParams& hull) {
  json p = {{"id", params.id}, {"group", params.group}};
  if (!hull.empty())
    p["hull"] = {{"version", hull.version}, {"flavor", hull.flavor}, {"arch", hull.arch}};
  return p;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

const char* ReportResultName(ReportResult result) {
  return result == ReportResult::kHealthy ? "healthy" : "rolled-back";
}

std::string EncodeRequestBody(const ClientParams& params, const HullParams& hull) {
  return Dump({{"client_params", ParamsJson(params, hull)}});
}

std::string EncodeReportBody(const ClientParams& params, const HullParams& hull,
                             ReportResult result) {
  return Dump({{"client_params", ParamsJson(params, hull)}, {"result", ReportResultName(result)}});
}

}  // namespace hull::fleet::ext
