// FleetLock wire protocol: request bodies, error bodies and the bounded set
// of error kinds (REFERENCE.md §2.1; Zincati docs/development/fleetlock/protocol.md,
// airlock internal/server/http_params.go).
//
// A request body is {"client_params":{"id":"...","group":"..."}}; the older
// "node_uuid" spelling of "id" (Zincati before the rename, airlock's example
// body) is accepted too. The body is untrusted: it is size-capped before it
// gets here and every field is validated. Unknown fields are ignored.
//
// Hull's extension (docs/fleetlock.md, "Release halts"), which Zincati and
// airlock ignore:
//   pre-reboot    client_params may carry "hull":{"version","flavor","arch"},
//                 the release the node is about to boot;
//   POST /v1/report  {"client_params":{"id","group","hull":{...}},
//                     "result":"healthy"|"rolled-back"}
//                 how that release went on the node (hull required).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace hull::fleet {

inline constexpr std::string_view kProtocolHeader = "fleet-lock-protocol";
inline constexpr std::string_view kPreRebootPath = "/v1/pre-reboot";
inline constexpr std::string_view kSteadyStatePath = "/v1/steady-state";
inline constexpr std::string_view kReportPath = "/v1/report";
// Operator endpoint: lift a release halt (docs/fleetlock.md).
inline constexpr std::string_view kResumePath = "/v1/resume";
inline constexpr std::string_view kDefaultGroup = "default";

// Caps on untrusted input.
inline constexpr size_t kMaxRequestBody = 4096;
inline constexpr size_t kMaxIdLength = 256;
inline constexpr size_t kMaxGroupLength = 128;
inline constexpr size_t kMaxHullFieldLength = 64;

// The release a node names: version (e.g. "202612.05.0"), flavor, arch.
struct HullParams {
  std::string version;
  std::string flavor;
  std::string arch;
  bool operator==(const HullParams&) const = default;
};

struct ClientParams {
  std::string id;
  std::string group;
  std::optional<HullParams> hull = std::nullopt;  // absent from Zincati
  bool operator==(const ClientParams&) const = default;
};

enum class ReportResult { kHealthy, kRolledBack };
// "healthy" / "rolled-back".
const char* ReportResultName(ReportResult result);

struct Report {
  ClientParams params;  // params.hull is set
  ReportResult result = ReportResult::kHealthy;
  bool operator==(const Report&) const = default;
};

// Error kinds a server returns: a closed set, so metrics and clients can key
// on them (the protocol asks for bounded cardinality).
enum class ErrorKind {
  kMissingHeader,       // 400: no "fleet-lock-protocol: true"
  kMalformedBody,       // 400: not JSON / wrong shape
  kInvalidId,           // 400: empty, too long or non-printable id
  kInvalidGroup,        // 400: group not matching ^[a-zA-Z0-9.-]+$
  kUnknownGroup,        // 400: group not configured on this server
  kSemaphoreFull,       // 409: all slots taken by other holders
  kBodyTooLarge,        // 413
  kRateLimited,         // 429
  kNotFound,            // 404: unknown path or method
  kBackendUnavailable,  // 503: etcd unreachable or contended
  kInternal,            // 500
  // Hull extension.
  kReleaseHalted,   // 409: pre-reboot toward a halted version
  kUnknownVersion,  // 400: report for a version nobody named in a pre-reboot
  kIdNotCertified,  // 403: id is not the client certificate's identity
  kOperatorOnly,    // 403: operator endpoint without an operator certificate
};

// "failed_lock_semaphore_full" etc.; stable strings.
const char* ErrorKindName(ErrorKind kind);
int ErrorKindStatus(ErrorKind kind);

struct ProtocolError {
  ErrorKind kind;
  std::string value;  // human text
};

// {"kind":"...","value":"..."}
std::string EncodeErrorBody(const ProtocolError& error);
// Parses an error body; kind "generic_http_<status>" when it is not one
// (as Zincati does).
ProtocolError DecodeErrorBody(int status, std::string_view body, std::string* kind_out);

// Validation of the fields, shared by the server, the client and the CLI.
// Errors: kInvalidArgument naming the field.
Status ValidateId(std::string_view id);
Status ValidateGroup(std::string_view group);
// version, flavor and arch: 1-64 bytes of [A-Za-z0-9._+-] (they become
// parts of etcd keys). `field` names the field in the message.
Status ValidateHullField(std::string_view field, std::string_view value);

// Parses a request body. Errors are ProtocolError kinds kMalformedBody,
// kInvalidId or kInvalidGroup. A missing group means "default".
struct ParsedRequest {
  bool ok = false;
  ClientParams params;
  ProtocolError error{ErrorKind::kInternal, ""};
};
ParsedRequest ParseRequestBody(std::string_view body);

// {"client_params":{"id":...,"group":...}} (+ "hull" when set)
std::string EncodeRequestBody(const ClientParams& params);

// Parses a report body (POST /v1/report): as ParseRequestBody, and
// client_params.hull and "result" are required (kMalformedBody).
struct ParsedReport {
  bool ok = false;
  Report report;
  ProtocolError error{ErrorKind::kInternal, ""};
};
ParsedReport ParseReportBody(std::string_view body);
std::string EncodeReportBody(const Report& report);

// POST /v1/resume: {"version":V[,"flavor":F][,"arch":A]} (empty ones left
// out: every halted flavor/arch of V); the reply 200
// {"resumed":[{"version":V,"flavor":F,"arch":A},...]}. DecodeResumeReply:
// kCorrupt for anything else, or fields ValidateHullField refuses.
std::string EncodeResumeBody(const HullParams& which);
Result<std::vector<HullParams>> DecodeResumeReply(std::string_view body);

}  // namespace hull::fleet
