#include "fleet/protocol.h"

#include <nlohmann/json.hpp>

namespace hull::fleet {

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kMissingHeader:
      return "missing_protocol_header";
    case ErrorKind::kMalformedBody:
      return "malformed_request";
    case ErrorKind::kInvalidId:
      return "invalid_client_id";
    case ErrorKind::kInvalidGroup:
      return "invalid_group";
    case ErrorKind::kUnknownGroup:
      return "unknown_group";
    case ErrorKind::kSemaphoreFull:
      return "failed_lock_semaphore_full";
    case ErrorKind::kBodyTooLarge:
      return "request_too_large";
    case ErrorKind::kRateLimited:
      return "rate_limited";
    case ErrorKind::kNotFound:
      return "not_found";
    case ErrorKind::kBackendUnavailable:
      return "backend_unavailable";
    case ErrorKind::kInternal:
      return "internal_error";
    case ErrorKind::kReleaseHalted:
      return "hull_release_halted";
    case ErrorKind::kUnknownVersion:
      return "hull_unknown_version";
    case ErrorKind::kIdNotCertified:
      return "certificate_id_mismatch";
    case ErrorKind::kOperatorOnly:
      return "operator_certificate_required";
  }
  return "internal_error";
}

int ErrorKindStatus(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kMissingHeader:
    case ErrorKind::kMalformedBody:
    case ErrorKind::kInvalidId:
    case ErrorKind::kInvalidGroup:
    case ErrorKind::kUnknownGroup:
    case ErrorKind::kUnknownVersion:
      return 400;
    case ErrorKind::kIdNotCertified:
    case ErrorKind::kOperatorOnly:
      return 403;
    case ErrorKind::kSemaphoreFull:
    case ErrorKind::kReleaseHalted:
      return 409;
    case ErrorKind::kBodyTooLarge:
      return 413;
    case ErrorKind::kRateLimited:
      return 429;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kBackendUnavailable:
      return 503;
    case ErrorKind::kInternal:
      return 500;
  }
  return 500;
}

std::string EncodeErrorBody(const ProtocolError& error) {
  nlohmann::json j{{"kind", ErrorKindName(error.kind)}, {"value", error.value}};
  // Replace invalid UTF-8 rather than throw: values may quote client input.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ProtocolError DecodeErrorBody(int status, std::string_view body, std::string* kind_out) {
  ProtocolError e{ErrorKind::kInternal, std::string(body.substr(0, 512))};
  std::string kind = "generic_http_" + std::to_string(status);
  auto j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_object() && j.contains("kind") && j["kind"].is_string()) {
    kind = j["kind"].get<std::string>().substr(0, 128);
    if (j.contains("value") && j["value"].is_string()) {
      e.value = j["value"].get<std::string>().substr(0, 512);
    }
  }
  for (int k = 0; k <= int(ErrorKind::kOperatorOnly); ++k) {
    if (kind == ErrorKindName(ErrorKind(k))) e.kind = ErrorKind(k);
  }
  if (kind_out) *kind_out = kind;
  return e;
}

Status ValidateId(std::string_view id) {
  if (id.empty()) return Error(ErrorCode::kInvalidArgument, "id is empty");
  if (id.size() > kMaxIdLength) {
    return Errorf(ErrorCode::kInvalidArgument, "id is {} bytes long (at most {})", id.size(),
                  kMaxIdLength);
  }
  for (unsigned char c : id) {
    // Printable ASCII without quotes or backslash keeps ids safe in keys,
    // logs and metrics labels.
    if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') {
      return Errorf(ErrorCode::kInvalidArgument, "id has a forbidden byte 0x{:02x}", c);
    }
  }
  return Ok();
}

Status ValidateGroup(std::string_view group) {
  if (group.empty()) return Error(ErrorCode::kInvalidArgument, "group is empty");
  if (group.size() > kMaxGroupLength) {
    return Errorf(ErrorCode::kInvalidArgument, "group is {} bytes long (at most {})", group.size(),
                  kMaxGroupLength);
  }
  for (char c : group) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-';
    if (!ok) {
      return Errorf(ErrorCode::kInvalidArgument, "group does not match ^[a-zA-Z0-9.-]+$");
    }
  }
  return Ok();
}

Status ValidateHullField(std::string_view field, std::string_view value) {
  if (value.empty()) return Errorf(ErrorCode::kInvalidArgument, "{} is empty", field);
  if (value.size() > kMaxHullFieldLength) {
    return Errorf(ErrorCode::kInvalidArgument, "{} is {} bytes long (at most {})", field,
                  value.size(), kMaxHullFieldLength);
  }
  for (char c : value) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_' || c == '+';
    if (!ok)
      return Errorf(ErrorCode::kInvalidArgument, "{} does not match ^[A-Za-z0-9._+-]+$", field);
  }
  return Ok();
}

const char* ReportResultName(ReportResult result) {
  return result == ReportResult::kHealthy ? "healthy" : "rolled-back";
}

namespace {

ParsedRequest Fail(ErrorKind kind, std::string value) {
  ParsedRequest r;
  r.error = {kind, std::move(value)};
  return r;
}

// client_params.hull: absent is fine; present must be complete and valid.
std::optional<ProtocolError> ParseHull(const nlohmann::json& cp, ClientParams& params) {
  if (!cp.contains("hull")) return std::nullopt;
  const auto& h = cp["hull"];
  if (!h.is_object()) {
    return ProtocolError{ErrorKind::kMalformedBody, "'client_params.hull' is not an object"};
  }
  HullParams hull;
  const std::pair<const char*, std::string*> fields[] = {
      {"version", &hull.version}, {"flavor", &hull.flavor}, {"arch", &hull.arch}};
  for (const auto& [name, out] : fields) {
    std::string path = std::string("client_params.hull.") + name;
    if (!h.contains(name) || !h[name].is_string()) {
      return ProtocolError{ErrorKind::kMalformedBody, "missing string '" + path + "'"};
    }
    *out = h[name].get<std::string>();
    if (Status st = ValidateHullField(path, *out); !st) {
      return ProtocolError{ErrorKind::kMalformedBody, st.error().message()};
    }
  }
  params.hull = std::move(hull);
  return std::nullopt;
}

ParsedRequest ParseJsonRequest(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("client_params") || !j["client_params"].is_object()) {
    return Fail(ErrorKind::kMalformedBody, "missing object 'client_params'");
  }
  const auto& cp = j["client_params"];
  const char* id_field = cp.contains("id") ? "id" : "node_uuid";
  if (!cp.contains(id_field) || !cp[id_field].is_string()) {
    return Fail(ErrorKind::kMalformedBody, "missing string 'client_params.id'");
  }
  ParsedRequest r;
  r.params.id = cp[id_field].get<std::string>();
  r.params.group = std::string(kDefaultGroup);
  if (cp.contains("group")) {
    if (!cp["group"].is_string()) {
      return Fail(ErrorKind::kMalformedBody, "'client_params.group' is not a string");
    }
    r.params.group = cp["group"].get<std::string>();
  }
  if (Status st = ValidateId(r.params.id); !st) {
    return Fail(ErrorKind::kInvalidId, st.error().message());
  }
  if (Status st = ValidateGroup(r.params.group); !st) {
    return Fail(ErrorKind::kInvalidGroup, st.error().message());
  }
  if (auto err = ParseHull(cp, r.params)) {
    r.error = std::move(*err);
    return r;
  }
  r.ok = true;
  return r;
}

ParsedRequest ParseCapped(std::string_view body, nlohmann::json* j) {
  if (body.size() > kMaxRequestBody) {
    return Fail(ErrorKind::kBodyTooLarge,
                "request body larger than " + std::to_string(kMaxRequestBody) + " bytes");
  }
  *j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (j->is_discarded()) return Fail(ErrorKind::kMalformedBody, "request body is not JSON");
  return ParseJsonRequest(*j);
}

nlohmann::json ClientParamsJson(const ClientParams& params) {
  nlohmann::json cp{{"id", params.id}, {"group", params.group}};
  if (params.hull) {
    cp["hull"] = {{"version", params.hull->version},
                  {"flavor", params.hull->flavor},
                  {"arch", params.hull->arch}};
  }
  return cp;
}

}  // namespace

ParsedRequest ParseRequestBody(std::string_view body) {
  nlohmann::json j;
  return ParseCapped(body, &j);
}

std::string EncodeRequestBody(const ClientParams& params) {
  nlohmann::json j{{"client_params", ClientParamsJson(params)}};
  return j.dump();
}

ParsedReport ParseReportBody(std::string_view body) {
  ParsedReport out;
  nlohmann::json j;
  ParsedRequest r = ParseCapped(body, &j);
  if (!r.ok) {
    out.error = std::move(r.error);
    return out;
  }
  if (!r.params.hull) {
    out.error = {ErrorKind::kMalformedBody, "missing object 'client_params.hull'"};
    return out;
  }
  const nlohmann::json* res = j.contains("result") ? &j["result"] : nullptr;
  std::string result = res && res->is_string() ? res->get<std::string>() : "";
  if (result == "healthy") {
    out.report.result = ReportResult::kHealthy;
  } else if (result == "rolled-back") {
    out.report.result = ReportResult::kRolledBack;
  } else {
    out.error = {ErrorKind::kMalformedBody, R"('result' must be "healthy" or "rolled-back")"};
    return out;
  }
  out.report.params = std::move(r.params);
  out.ok = true;
  return out;
}

std::string EncodeResumeBody(const HullParams& which) {
  nlohmann::json j{{"version", which.version}};
  if (!which.flavor.empty()) j["flavor"] = which.flavor;
  if (!which.arch.empty()) j["arch"] = which.arch;
  return j.dump();
}

Result<std::vector<HullParams>> DecodeResumeReply(std::string_view body) {
  auto bad = [](std::string_view why) {
    return Errorf(ErrorCode::kCorrupt, "resume reply: {} (want {{\"resumed\":[...]}})", why);
  };
  if (body.size() > 64 * 1024) return bad("larger than 64 KiB");
  auto j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (!j.is_object() || !j.contains("resumed") || !j["resumed"].is_array())
    return bad("not an object with a 'resumed' list");
  std::vector<HullParams> out;
  for (const auto& r : j["resumed"]) {
    if (!r.is_object()) return bad("an entry is not an object");
    HullParams h;
    for (auto [name, field] : {std::pair<const char*, std::string*>{"version", &h.version},
                               {"flavor", &h.flavor},
                               {"arch", &h.arch}}) {
      auto it = r.find(name);
      if (it == r.end() || !it->is_string()) return bad(std::string("an entry has no ") + name);
      *field = it->get<std::string>();
      if (!ValidateHullField(name, *field).ok()) return bad(std::string("a bad ") + name);
    }
    out.push_back(std::move(h));
  }
  return out;
}

std::string EncodeReportBody(const Report& report) {
  nlohmann::json j{{"client_params", ClientParamsJson(report.params)},
                   {"result", ReportResultName(report.result)}};
  return j.dump();
}

}  // namespace hull::fleet
