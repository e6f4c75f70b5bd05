// FleetLock wire protocol: request bodies, error bodies and the bounded set
// of error kinds (REFERENCE.md §2.1; Zincati docs/development/fleetlock/protocol.md,
// airlock internal/server/http_params.go).
//
// A request body is {"client_params":{"id":"...","group":"..."}}; the older
// "node_uuid" spelling of "id" (Zincati before the rename, airlock's example
// body) is accepted too. The body is untrusted: it is size-capped before it
// gets here and every field is validated.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "base/result.h"

namespace hull::fleet {

inline constexpr std::string_view kProtocolHeader = "fleet-lock-protocol";
inline constexpr std::string_view kPreRebootPath = "/v1/pre-reboot";
inline constexpr std::string_view kSteadyStatePath = "/v1/steady-state";
inline constexpr std::string_view kDefaultGroup = "default";

// Caps on untrusted input.
inline constexpr size_t kMaxRequestBody = 4096;
inline constexpr size_t kMaxIdLength = 256;
inline constexpr size_t kMaxGroupLength = 128;

struct ClientParams {
  std::string id;
  std::string group;
  bool operator==(const ClientParams&) const = default;
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

// Validation of the two fields, shared by the server, the client and the CLI.
// Errors: kInvalidArgument naming the field.
Status ValidateId(std::string_view id);
Status ValidateGroup(std::string_view group);

// Parses a request body. Errors are ProtocolError kinds kMalformedBody,
// kInvalidId or kInvalidGroup. A missing group means "default".
struct ParsedRequest {
  bool ok = false;
  ClientParams params;
  ProtocolError error{ErrorKind::kInternal, ""};
};
ParsedRequest ParseRequestBody(std::string_view body);

// {"client_params":{"id":...,"group":...}}
std::string EncodeRequestBody(const ClientParams& params);

}  // namespace hull::fleet
