// Internal to src/inspect: how the checks of slots.cc and esp.cc record
// their outcome in the report.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>

#include "crypto/key.h"
#include "inspect/report.h"

namespace hull::inspect {

inline void Add(Report& r, std::string name, CheckState state, std::string detail) {
  r.checks.push_back({std::move(name), state, std::move(detail)});
}

// The certificate the signature check `name` verifies against, loaded from
// `path`; nullopt once the check is recorded as skipped (no path: "not
// verified (pass FLAG)") or failed (the certificate does not load).
inline std::optional<crypto::Certificate> CertificateFor(Report& r, const std::string& name,
                                                         const std::string& path,
                                                         std::string_view flag) {
  if (path.empty()) {
    Add(r, name, CheckState::kSkip, fmt::format("not verified (pass {})", flag));
    return std::nullopt;
  }
  auto cert = crypto::Certificate::Load(path);
  if (!cert.ok()) {
    Add(r, name, CheckState::kFail, cert.error().ToString());
    return std::nullopt;
  }
  return std::move(cert).value();
}

}  // namespace hull::inspect
