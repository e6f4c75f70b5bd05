#include "base/result.h"

namespace hull {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInternal:
      return "internal";
    case ErrorCode::kInvalidArgument:
      return "invalid-argument";
    case ErrorCode::kNotFound:
      return "not-found";
    case ErrorCode::kAlreadyExists:
      return "already-exists";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kCorrupt:
      return "corrupt";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kVerifyFailed:
      return "verify-failed";
    case ErrorCode::kBadSignature:
      return "bad-signature";
    case ErrorCode::kRollback:
      return "rollback";
    case ErrorCode::kExpired:
      return "expired";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kProcessFailed:
      return "process-failed";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kRefused:
      return "refused";
  }
  return "unknown";
}

std::string Error::ToString() const {
  std::string out;
  for (const auto& c : context_) {
    out += c;
    out += ": ";
  }
  out += message_;
  return out;
}

}  // namespace hull
