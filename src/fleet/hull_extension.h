// Hull's extension of the FleetLock protocol (docs/fleetlock.md "Hull
// extension"), the client's half. Zincati and airlock ignore it: the extra
// "hull" object in client_params is an unknown field to them, and a server
// that does not know /v1/report answers 404, which the client tolerates.
//
//   pre-reboot  {"client_params":{"id":ID,"group":G,
//                "hull":{"version":V,"flavor":F,"arch":A}}}
//               V: the version about to boot.
//   report      POST /v1/report (header fleet-lock-protocol: true)
//               {"client_params":{...as above...},"result":"healthy"|"rolled-back"}
//               V: the version blessed ("healthy") or the one that failed
//               its boot tries ("rolled-back").
// Error kinds of the extension: hull_release_halted on a pre-reboot (do not
// install or boot V; keep running; ask again at the next run),
// hull_unknown_version on a report (the server knows no such version).
#pragma once

#include <string>
#include <string_view>

#include "fleet/protocol.h"

namespace hull::fleet::ext {

inline constexpr std::string_view kReportPath = "/v1/report";
inline constexpr std::string_view kReleaseHalted = "hull_release_halted";
inline constexpr std::string_view kUnknownVersion = "hull_unknown_version";

// The release a request is about. All three empty: no "hull" object (a
// plain FleetLock request).
struct HullParams {
  std::string version, flavor, arch;
  bool empty() const { return version.empty() && flavor.empty() && arch.empty(); }
  bool operator==(const HullParams&) const = default;
};

enum class ReportResult { kHealthy, kRolledBack };
// "healthy", "rolled-back".
const char* ReportResultName(ReportResult result);

// {"client_params":{"id","group"[,"hull":{"version","flavor","arch"}]}}
std::string EncodeRequestBody(const ClientParams& params, const HullParams& hull);
// {"client_params":{"id","group","hull":{...}},"result":R}
std::string EncodeReportBody(const ClientParams& params, const HullParams& hull,
                             ReportResult result);

}  // namespace hull::fleet::ext
