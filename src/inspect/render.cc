#include <fmt/format.h>

#include "inspect/report.h"

namespace hull::inspect {
namespace {

std::string Size(uint64_t bytes) {
  if (bytes >= (uint64_t(1) << 30)) return fmt::format("{:.1f} GiB", double(bytes) / (1 << 30));
  if (bytes >= (uint64_t(1) << 20)) return fmt::format("{:.1f} MiB", double(bytes) / (1 << 20));
  return fmt::format("{} KiB", bytes >> 10);
}

}  // namespace

const char* CheckStateName(CheckState s) {
  switch (s) {
    case CheckState::kPass:
      return "pass";
    case CheckState::kFail:
      return "FAIL";
    case CheckState::kSkip:
      return "skip";
    case CheckState::kInfo:
      return "info";
  }
  return "?";
}

nlohmann::json ToJson(const Report& r) {
  nlohmann::json j{{"image", r.image},
                   {"sector_size", r.sector_size},
                   {"disk_bytes", r.disk_bytes},
                   {"disk_guid", r.disk_guid},
                   {"verdict", r.good() ? "good" : "bad"}};
  j["partitions"] = nlohmann::json::array();
  for (const auto& p : r.partitions) {
    j["partitions"].push_back({{"number", p.number},
                               {"type", p.type},
                               {"type_guid", p.type_guid},
                               {"label", p.label},
                               {"uuid", p.uuid},
                               {"offset", p.offset},
                               {"size", p.size},
                               {"attributes", p.attributes}});
  }
  j["slots"] = nlohmann::json::array();
  for (const auto& s : r.slots) {
    j["slots"].push_back({{"label", s.label},
                          {"usr", s.usr},
                          {"verity", s.verity},
                          {"signature", s.signature},
                          {"empty", s.empty},
                          {"root_hash", s.root_hash},
                          {"signed_root_hash", s.signed_root_hash},
                          {"certificate_fingerprint", s.certificate_fingerprint},
                          {"data_blocks", s.data_blocks}});
  }
  j["ukis"] = nlohmann::json::array();
  for (const auto& u : r.ukis) {
    nlohmann::json phases = nlohmann::json::object();
    for (const auto& [k, v] : u.pcr11_phases) phases[k] = v;
    j["ukis"].push_back({{"path", u.path},
                         {"size", u.size},
                         {"version", u.version},
                         {"pretty_name", u.pretty_name},
                         {"cmdline", u.cmdline},
                         {"usrhash", u.usrhash},
                         {"uname", u.uname},
                         {"machine", u.machine},
                         {"signer", u.signer},
                         {"signatures", u.signatures},
                         {"stub_version", u.stub_version},
                         {"pcr11", u.pcr11},
                         {"pcr11_phases", phases}});
  }
  j["checks"] = nlohmann::json::array();
  for (const auto& c : r.checks) {
    j["checks"].push_back(
        {{"name", c.name}, {"state", CheckStateName(c.state)}, {"detail", c.detail}});
  }
  return j;
}

std::string ToText(const Report& r) {
  std::string out = fmt::format("{}: {} GPT disk, {}-byte sectors, disk GUID {}\n\n", r.image,
                                Size(r.disk_bytes), r.sector_size, r.disk_guid);
  out += fmt::format("{:>2}  {:<24} {:<28} {:>10}  {}\n", "#", "TYPE", "LABEL", "SIZE", "UUID");
  for (const auto& p : r.partitions) {
    out += fmt::format("{:>2}  {:<24} {:<28} {:>10}  {}\n", p.number, p.type, p.label, Size(p.size),
                       p.uuid);
  }
  for (const auto& s : r.slots) {
    out += fmt::format("\nslot {}{}\n", s.label, s.empty ? " (empty)" : "");
    if (!s.root_hash.empty()) out += fmt::format("  root hash        {}\n", s.root_hash);
    if (!s.signed_root_hash.empty())
      out += fmt::format("  signed root hash {}\n", s.signed_root_hash);
  }
  for (const auto& u : r.ukis) {
    out += fmt::format("\nUKI {} ({})\n", u.path, Size(u.size));
    out += fmt::format("  version   {}\n  kernel    {}\n  machine   {}\n  cmdline   {}\n",
                       u.version, u.uname, u.machine, u.cmdline);
    out += fmt::format("  signer    {}\n", u.signer.empty() ? "(unsigned)" : u.signer);
    out += fmt::format("  PCR 11    {} (systemd-stub {})\n", u.pcr11, u.stub_version);
    for (const auto& [phase, value] : u.pcr11_phases) {
      out += fmt::format("    after {:<40} {}\n", phase, value);
    }
  }
  out += "\nchecks\n";
  for (const auto& c : r.checks) {
    out += fmt::format("  [{}] {}: {}\n", CheckStateName(c.state), c.name, c.detail);
  }
  out += fmt::format("\nverdict: {}\n", r.good() ? "good" : "BAD");
  return out;
}

}  // namespace hull::inspect
