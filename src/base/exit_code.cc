#include "base/exit_code.h"

namespace hull {

int ExitCodeFor(ErrorCode code) {
  // No default: a new ErrorCode must be placed here (-Wswitch).
  switch (code) {
    case ErrorCode::kVerifyFailed:
    case ErrorCode::kBadSignature:
    case ErrorCode::kCorrupt:
    case ErrorCode::kRollback:
    case ErrorCode::kExpired:
    case ErrorCode::kRefused:
    case ErrorCode::kConflict:
      return kExitFailed;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kUnsupported:
    case ErrorCode::kIo:
    case ErrorCode::kTimeout:
    case ErrorCode::kProcessFailed:
    case ErrorCode::kUnavailable:
    case ErrorCode::kInternal:
      return kExitError;
  }
  return kExitError;
}

}  // namespace hull
