// Result<T>: a value or an Error, in the shape of C++23 std::expected.
//
// Errors carry a code that callers act on and a context chain that each layer
// extends with one prefix, so a failure reads from the outside in:
//   "reading GPT of disk.raw: backup header: CRC mismatch".
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

namespace hull {

enum class ErrorCode {
  kInternal,         // a bug: should not happen
  kInvalidArgument,  // the caller's input is malformed or out of range
  kNotFound,         // a file, key or entry does not exist
  kAlreadyExists,    // refusing to overwrite
  kIo,               // read/write/fsync/rename failed
  kCorrupt,          // untrusted bytes failed validation (magic, range, CRC)
  kUnsupported,      // valid but not implemented (algorithm, version)
  kVerifyFailed,     // a digest or hash tree did not match
  kBadSignature,     // a signature did not verify
  kRollback,         // an older version than trusted was offered
  kExpired,          // metadata past its expiry
  kTimeout,          // an operation ran past its deadline
  kProcessFailed,    // an external tool exited non-zero or died
  kUnavailable,      // a service could not be reached
  kConflict,         // a compare-and-swap lost, a lock is held
  kRefused,          // a policy rule refused the request
};

const char* ErrorCodeName(ErrorCode code);

class [[nodiscard]] Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  // The innermost message, without context.
  const std::string& message() const { return message_; }
  // Context prefixes, outermost first.
  const std::vector<std::string>& context() const { return context_; }

  // Adds an outer context prefix; returns *this for chaining.
  Error& Wrap(std::string context) & {
    context_.insert(context_.begin(), std::move(context));
    return *this;
  }
  Error Wrap(std::string context) && {
    context_.insert(context_.begin(), std::move(context));
    return std::move(*this);
  }

  // "outer: inner: message"
  std::string ToString() const;

 private:
  ErrorCode code_;
  std::string message_;
  std::vector<std::string> context_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT implicit
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT implicit

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

  // Prefixes the error (if any) with context. Returns by value: a reference
  // into the temporary would dangle inside HULL_TRY(F().Context("...")).
  Result Context(std::string context) && {
    if (!ok()) std::get<1>(v_).Wrap(std::move(context));
    return std::move(*this);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT implicit

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  void value() const { assert(ok()); }

  const Error& error() const& {
    assert(!ok());
    return *error_;
  }
  Error&& error() && {
    assert(!ok());
    return std::move(*error_);
  }
  Result Context(std::string context) && {
    if (error_) error_->Wrap(std::move(context));
    return std::move(*this);
  }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

// Errorf(code, "bad {} at {}", what, where): an Error with a formatted message.
template <typename... Args>
Error Errorf(ErrorCode code, fmt::format_string<Args...> format, Args&&... args) {
  return Error(code, fmt::format(format, std::forward<Args>(args)...));
}

inline Status Ok() { return {}; }

}  // namespace hull

#define HULL_CONCAT_INNER_(a, b) a##b
#define HULL_CONCAT_(a, b) HULL_CONCAT_INNER_(a, b)

// HULL_TRY(expr): returns the error of a failed Status/Result from the caller.
#define HULL_TRY(expr)                                            \
  do {                                                            \
    auto hull_try_r_ = (expr);                                    \
    if (!hull_try_r_.ok()) return std::move(hull_try_r_).error(); \
  } while (0)

// HULL_ASSIGN_OR_RETURN(decl, expr): `decl = value` or return the error.
#define HULL_ASSIGN_OR_RETURN(decl, expr) \
  HULL_ASSIGN_OR_RETURN_IMPL_(HULL_CONCAT_(hull_r_, __LINE__), decl, expr)
#define HULL_ASSIGN_OR_RETURN_IMPL_(tmp, decl, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).error();      \
  decl = std::move(tmp).value()
