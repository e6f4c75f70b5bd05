// The host's side of `hull boot --validate`: reads the guest's
// "HULL-VALIDATE {json}" console line (agent/validate.h) and judges each fact
// against what the image claims (its UKI's usrhash=, PCR 11 prediction,
// SELinux mode and lockdown on the cmdline, version).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "inspect/report.h"

namespace hull::vm {

inline constexpr size_t kMaxReportBytes = 1 << 20;

struct Expectations {
  std::string root_hash;                                          // usrhash= of the UKI booted
  std::vector<std::pair<std::string, std::string>> pcr11_phases;  // phase path -> hex
  std::string selinux = "disabled";  // from the cmdline: enforcing / permissive / disabled
  std::string lockdown = "none";     // lockdown= on the cmdline
  std::string image_version;
  bool secure_boot = false;  // the VM enforced Secure Boot
  bool tpm = false;          // the VM had a TPM
  bool persistence = true;   // the reboot phase ran
  bool live = false;         // a live boot from the install medium: nothing persists
};

// Derives the cmdline-based fields (selinux, lockdown, root_hash) from a UKI
// cmdline.
void ExpectFromCmdline(const std::string& cmdline, Expectations& e);

using inspect::CheckState;
using inspect::CheckStateName;

struct ValidationCheck {
  std::string name;
  CheckState state = CheckState::kPass;
  std::string detail;
};

// The JSON of the last "HULL-VALIDATE " line in a console log. kNotFound when
// there is none; kCorrupt for a line that is not a JSON object or is larger
// than kMaxReportBytes.
Result<nlohmann::json> ParseValidateLine(const std::string& console);

// Every check, in a fixed order (docs/boot.md). Tolerates any JSON shape: a
// missing or mistyped fact fails its check.
std::vector<ValidationCheck> Judge(const nlohmann::json& report, const Expectations& e);

bool AllPassed(const std::vector<ValidationCheck>& checks);
std::string RenderTable(const std::vector<ValidationCheck>& checks);

}  // namespace hull::vm
