#include "vm/report.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <optional>
#include <string>
#include <vector>

namespace hull::vm {
namespace {

using nlohmann::json;

const json* At(const json& j, std::initializer_list<const char*> path) {
  const json* p = &j;
  for (const char* k : path) {
    if (!p->is_object()) return nullptr;
    auto it = p->find(k);
    if (it == p->end()) return nullptr;
    p = &*it;
  }
  return p;
}

std::string Str(const json& j, std::initializer_list<const char*> path) {
  const json* p = At(j, path);
  return p && p->is_string() ? p->get<std::string>() : "";
}

bool True(const json& j, std::initializer_list<const char*> path) {
  const json* p = At(j, path);
  return p && p->is_boolean() && p->get<bool>();
}

std::optional<double> Num(const json& j, std::initializer_list<const char*> path) {
  const json* p = At(j, path);
  if (!p || !p->is_number()) return std::nullopt;
  return p->get<double>();
}

std::string Word(const std::string& cmdline, const std::string& key) {
  std::string v;
  size_t pos = 0;
  while (pos < cmdline.size()) {
    size_t e = cmdline.find(' ', pos);
    if (e == std::string::npos) e = cmdline.size();
    std::string w = cmdline.substr(pos, e - pos);
    if (w.rfind(key + "=", 0) == 0) v = w.substr(key.size() + 1);
    pos = e + 1;
  }
  return v;
}

ValidationCheck Check(std::string name, bool ok, std::string detail) {
  return {std::move(name), ok ? CheckState::kPass : CheckState::kFail, std::move(detail)};
}

void UsrChecks(const json& p, const Expectations& e, std::vector<ValidationCheck>& out) {
  std::string src = Str(p, {"usr", "source"}), fstype = Str(p, {"usr", "fstype"}),
              type = Str(p, {"usr", "dm_type"}), status = Str(p, {"usr", "status"});
  out.push_back(
      Check("usr-verity",
            src == "/dev/mapper/usr" && fstype == "erofs" && type == "verity" && status == "V",
            fmt::format("{} {} on dm target '{}', status '{}'", src, fstype, type, status)));
  std::string hash = Str(p, {"usr", "root_hash"});
  out.push_back(Check(
      "usr-root-hash", !hash.empty() && hash == e.root_hash,
      hash == e.root_hash
          ? hash
          : fmt::format("guest {} != image {}", hash.empty() ? "(none)" : hash, e.root_hash)));
  auto err = Num(p, {"usr", "write_errno"});
  out.push_back(Check("usr-read-only", err && int(*err) == EROFS,
                      err ? Str(p, {"usr", "write_error"}) : "a write to /usr succeeded"));
  auto bytes = Num(p, {"usr_scan", "bytes"}), secs = Num(p, {"usr_scan", "seconds"});
  std::string scan = True(p, {"usr_scan", "ok"})
                         ? fmt::format("{:.0f} MiB read in {:.1f} s", bytes.value_or(0) / 1048576.0,
                                       secs.value_or(0))
                         : fmt::format("{} at byte {:.0f}", Str(p, {"usr_scan", "error"}),
                                       Num(p, {"usr_scan", "error_offset"}).value_or(-1));
  out.push_back(Check("usr-full-scan", True(p, {"usr_scan", "ok"}), scan));
}

// The denials one boot reported ({"denials": N, "first_denials": [...],
// "kmsg_lost": L}), appended to `listed`; nullopt when the count is missing
// or negative. Kernel-log reads that lost records (kmsg_lost > 0, missing
// counts as 0 for reports of older agents) go to `lost`.
std::optional<double> BootDenials(const json& facts, std::vector<std::string>& listed,
                                  double& lost) {
  auto n = Num(facts, {"denials"});
  if (n && *n < 0) n.reset();
  if (auto l = Num(facts, {"kmsg_lost"}); l && *l > 0) lost += *l;
  if (const json* first = At(facts, {"first_denials"}); first && first->is_array())
    for (const auto& d : *first)
      if (d.is_string()) listed.push_back(d.get<std::string>());
  return n;
}

// The mode is the cmdline's, and no boot logged an AVC denial: the first
// boot's count (phase1.selinux) and, when the reboot ran, the second's
// (reboot_selinux). A missing count fails: the guest did not look. A listed
// denial fails whatever the count says, and so does a kernel log that lost
// records before they were read (a denial may be among them).
ValidationCheck SelinuxCheck(const json& report, const Expectations& e) {
  const json* phase1 = At(report, {"phase1"});
  const json& p = phase1 ? *phase1 : report;
  const std::string mode = Str(p, {"selinux", "mode"});
  std::vector<std::string> listed, unreported;
  const json* first = At(p, {"selinux"});
  double lost = 0;
  auto n = first ? BootDenials(*first, listed, lost) : std::nullopt;
  if (!n) unreported.push_back("first boot");
  double denials = n.value_or(0);
  if (e.persistence) {
    const json* second = At(report, {"reboot_selinux"});
    n = second ? BootDenials(*second, listed, lost) : std::nullopt;
    if (!n) unreported.push_back("reboot");
    denials += n.value_or(0);
  }
  std::string detail = fmt::format("{} (spec: {}), {:.0f} denials", mode, e.selinux, denials);
  if (!listed.empty()) detail += fmt::format(": {}", fmt::join(listed, "; "));
  if (!unreported.empty())
    detail += fmt::format("; denials of the {} not reported", fmt::join(unreported, " and "));
  if (lost > 0)
    detail += fmt::format("; {:.0f} kernel log reads lost records (denials may be missed)", lost);
  return Check(
      "selinux",
      mode == e.selinux && denials == 0 && listed.empty() && lost == 0 && unreported.empty(),
      detail);
}

// The images the build preloaded (docs/containers.md): each in containerd's
// store under its name with the digest the build recorded, and every one with
// an entrypoint run from the store (exit 0).
void PreloadChecks(const json& p, std::vector<ValidationCheck>& out) {
  const json* pre = At(p, {"preload"});
  if (!pre || !pre->is_object()) {
    out.push_back({"preloaded", CheckState::kSkip, "the image preloads no container images"});
    out.push_back({"preloaded-run", CheckState::kSkip, "the image preloads no container images"});
    return;
  }
  std::vector<std::string> present, missing;
  const json* images = At(*pre, {"images"});
  if (images && images->is_array()) {
    for (const json& i : *images) {
      const std::string name = Str(i, {"name"}), digest = Str(i, {"digest"}),
                        stored = Str(i, {"stored"});
      if (!digest.empty() && stored == digest) {
        present.push_back(name);
      } else {
        missing.push_back(stored.empty() ? name + " (absent)"
                                         : fmt::format("{} ({} != {})", name, stored, digest));
      }
    }
  }
  const bool ok = !present.empty() && missing.empty();
  out.push_back(Check(
      "preloaded", ok,
      ok ? fmt::format("{} in containerd: {}", present.size(), fmt::join(present, ", "))
      : !missing.empty() ? fmt::format("not in containerd: {} ({})", fmt::join(missing, ", "),
                                       Str(*pre, {"unit", "out"}))
                         : "no image listed: " + Str(*pre, {"error"}) + Str(*pre, {"ls", "err"})));
  std::vector<std::string> ran, failed;
  const json* runs = At(*pre, {"runs"});
  if (runs && runs->is_array()) {
    for (const json& r : *runs) {
      auto exit = Num(r, {"exit"});
      if (exit && *exit == 0) {
        ran.push_back(Str(r, {"name"}));
      } else {
        failed.push_back(fmt::format("{} (exit {:.0f}: {})", Str(r, {"name"}), exit.value_or(-1),
                                     Str(r, {"err"}) + Str(r, {"error"})));
      }
    }
  }
  if (ran.empty() && failed.empty()) {
    out.push_back({"preloaded-run", CheckState::kSkip, "no preloaded image has an entrypoint"});
    return;
  }
  out.push_back(Check("preloaded-run", failed.empty(),
                      failed.empty() ? fmt::format("ran without a pull: {}", fmt::join(ran, ", "))
                                     : fmt::format("failed: {}", fmt::join(failed, ", "))));
}

}  // namespace

void ExpectFromCmdline(const std::string& cmdline, Expectations& e) {
  e.root_hash = Word(cmdline, "usrhash");
  std::string lockdown = Word(cmdline, "lockdown");
  if (!lockdown.empty()) e.lockdown = lockdown;
  if (Word(cmdline, "selinux") == "0") {
    e.selinux = "disabled";
  } else if (Word(cmdline, "security") == "selinux" || Word(cmdline, "selinux") == "1") {
    e.selinux = Word(cmdline, "enforcing") == "0" ? "permissive" : "enforcing";
  }
}

Result<json> ParseValidateLine(const std::string& console) {
  const std::string key = "HULL-VALIDATE {";
  size_t p = console.rfind(key);
  if (p == std::string::npos) return Error(ErrorCode::kNotFound, "no HULL-VALIDATE line");
  size_t start = p + key.size() - 1;
  size_t end = console.find('\n', start);
  std::string text = console.substr(start, end == std::string::npos ? end : end - start);
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (text.size() > kMaxReportBytes) {
    return Errorf(ErrorCode::kCorrupt, "HULL-VALIDATE line is {} bytes, more than {}", text.size(),
                  kMaxReportBytes);
  }
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Error(ErrorCode::kCorrupt, "HULL-VALIDATE line is not a JSON object");
  }
  return j;
}

std::vector<ValidationCheck> Judge(const json& report, const Expectations& e) {
  std::vector<ValidationCheck> out;
  const json* phase1 = At(report, {"phase1"});
  const json& p = phase1 ? *phase1 : report;
  // The guest's own account of why its report is incomplete comes first.
  if (const json* err = At(report, {"error"}); err && err->is_string())
    out.push_back(Check("guest-error", false, err->get<std::string>()));
  std::string version = Str(p, {"image_version"});
  out.push_back(Check("image-version", version == e.image_version,
                      version == e.image_version
                          ? version
                          : fmt::format("guest '{}' != image '{}'", version, e.image_version)));
  UsrChecks(p, e, out);
  if (e.secure_boot) {
    out.push_back(Check("secure-boot", True(p, {"secure_boot"}),
                        True(p, {"secure_boot"})
                            ? "enabled (" + Str(p, {"secure_boot_source"}) + ")"
                            : "not enabled: " + Str(p, {"secure_boot_error"})));
  } else {
    out.push_back({"secure-boot", CheckState::kSkip, "the VM ran without Secure Boot"});
  }
  std::string lockdown = Str(p, {"lockdown"});
  out.push_back(Check("lockdown", lockdown == e.lockdown,
                      fmt::format("{} (cmdline: {})", lockdown, e.lockdown)));
  if (e.tpm) {
    std::string pcr = Str(p, {"pcr11"}), matched;
    for (const auto& [phase, value] : e.pcr11_phases)
      if (value == pcr) matched = phase;
    bool final_phase = !e.pcr11_phases.empty() && e.pcr11_phases.back().second == pcr;
    out.push_back(Check("pcr11", final_phase,
                        matched.empty() ? fmt::format("{} matches no predicted phase",
                                                      pcr.empty() ? "(unread)" : pcr)
                                        : fmt::format("{} = prediction after {}", pcr, matched)));
  } else {
    out.push_back({"pcr11", CheckState::kSkip, "the VM ran without a TPM"});
  }
  out.push_back(SelinuxCheck(report, e));
  out.push_back(Check("containerd", True(p, {"container", "ok"}),
                      True(p, {"container", "ok"})
                          ? Str(p, {"container", "run", "out"})
                          : "container failed: " + Str(p, {"container", "run", "err"}) +
                                Str(p, {"container", "import", "err"})));
  PreloadChecks(p, out);
  out.push_back(Check("etc-overlay",
                      Str(p, {"etc_fstype"}) == "overlay" && True(p, {"etc_write", "ok"}),
                      fmt::format("/etc is {}, write {}", Str(p, {"etc_fstype"}),
                                  True(p, {"etc_write", "ok"}) ? "ok" : "failed")));
  out.push_back(
      Check("var-writable", True(p, {"var_write", "ok"}), Str(p, {"var_write", "error"})));
  if (e.persistence) {
    bool etc = True(report, {"persist", "etc"}), var = True(report, {"persist", "var"});
    out.push_back(Check("persist-reboot", etc && var,
                        fmt::format("/etc marker {}, /var marker {} after a reboot",
                                    etc ? "kept" : "lost", var ? "kept" : "lost")));
  } else {
    out.push_back({"persist-reboot", CheckState::kSkip,
                   e.live ? "not applicable: a live boot keeps its state in memory"
                          : "single boot requested"});
  }
  std::string state = Str(p, {"boot", "system_state", "out"});
  out.push_back(
      Check("system-state", state == "running",
            state == "running" ? state : state + ": " + Str(p, {"boot", "failed_units"})));
  auto startup = Num(p, {"boot", "startup_seconds"});
  auto memory = Num(p, {"boot", "memory_used_bytes"});
  out.push_back({"boot-time", CheckState::kInfo,
                 startup ? fmt::format("{:.1f} s (systemd-analyze)", *startup) : "unknown"});
  out.push_back({"memory-used", CheckState::kInfo,
                 memory ? fmt::format("{:.0f} MiB", *memory / 1048576.0) : "unknown"});
  std::string cmdline = Str(p, {"cmdline"});
  out.push_back({"cmdline", CheckState::kInfo, cmdline.empty() ? "unknown" : cmdline});
  return out;
}

bool AllPassed(const std::vector<ValidationCheck>& checks) {
  for (const auto& c : checks)
    if (c.state == CheckState::kFail) return false;
  return !checks.empty();
}

std::string RenderTable(const std::vector<ValidationCheck>& checks) {
  std::string out;
  for (const auto& c : checks) {
    out += fmt::format("  {:<16} {:<5} {}\n", c.name, CheckStateName(c.state), c.detail);
  }
  return out;
}

}  // namespace hull::vm
