// gMock matchers and gtest macros for Result<T> and Status that print the
// error's code and whole context chain when they fail, in the manner of
// abseil's IsOk / IsOkAndHolds / StatusIs:
//
//   EXPECT_OK(r);  ASSERT_OK(r);                    // no error
//   EXPECT_ERROR(r, ErrorCode::kCorrupt);           // that code (STYLE rule 17)
//   EXPECT_THAT(r, ErrorIs(ErrorCode::kIo, HasSubstr("disk.raw: ")));
//   EXPECT_THAT(r, IsOkAndHolds(Eq(42)));
//   ASSERT_OK_AND_ASSIGN(auto table, gpt::Read(src));
//
// The message matcher of ErrorIs sees Error::ToString(): the context chain
// and the message ("reading GPT: backup header: CRC mismatch").
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/result.h"

namespace hull {

// Printers found by argument-dependent lookup, so gtest's "Actual:" line and
// the matchers show a code and a chain instead of raw bytes.
inline void PrintTo(ErrorCode code, std::ostream* os) { *os << ErrorCodeName(code); }

inline void PrintTo(const Error& error, std::ostream* os) {
  *os << "error " << ErrorCodeName(error.code()) << ": \"" << error.ToString() << "\"";
}

inline void PrintTo(const Status& status, std::ostream* os) {
  if (status.ok()) {
    *os << "OK";
  } else {
    PrintTo(status.error(), os);
  }
}

template <typename T>
void PrintTo(const Result<T>& result, std::ostream* os) {
  if (result.ok()) {
    *os << "OK holding " << ::testing::PrintToString(result.value());
  } else {
    PrintTo(result.error(), os);
  }
}

namespace testing {

// Matches a Status or Result<T> without an error.
class IsOkMatcher {
 public:
  template <typename R>
  bool MatchAndExplain(const R& r, ::testing::MatchResultListener* listener) const {
    if (r.ok()) return true;
    *listener << "which is " << ::testing::PrintToString(r.error());
    return false;
  }
  void DescribeTo(std::ostream* os) const { *os << "is OK"; }
  void DescribeNegationTo(std::ostream* os) const { *os << "holds an error"; }
};

inline ::testing::PolymorphicMatcher<IsOkMatcher> IsOk() {
  return ::testing::MakePolymorphicMatcher(IsOkMatcher());
}

// Matches a Status or Result<T> holding an error with `code` whose
// ToString() (context chain and message) matches `message`.
class ErrorIsMatcher {
 public:
  ErrorIsMatcher(ErrorCode code, std::optional<::testing::Matcher<const std::string&>> message)
      : code_(code), message_(std::move(message)) {}

  template <typename R>
  bool MatchAndExplain(const R& r, ::testing::MatchResultListener* listener) const {
    if (r.ok()) {
      *listener << "which is OK";
      return false;
    }
    const Error& e = r.error();
    if (e.code() != code_) {
      *listener << "which is " << ::testing::PrintToString(e);
      return false;
    }
    ::testing::StringMatchResultListener inner;
    if (!message_ || message_->MatchAndExplain(e.ToString(), &inner)) return true;
    *listener << "which is " << ::testing::PrintToString(e);
    if (!inner.str().empty()) *listener << ", " << inner.str();
    return false;
  }
  void DescribeTo(std::ostream* os) const {
    *os << "holds error " << ErrorCodeName(code_);
    if (message_) {
      *os << " whose text ";
      message_->DescribeTo(os);
    }
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "does not hold error " << ErrorCodeName(code_);
    if (message_) {
      *os << " whose text ";
      message_->DescribeTo(os);
    }
  }

 private:
  ErrorCode code_;
  std::optional<::testing::Matcher<const std::string&>> message_;
};

inline ::testing::PolymorphicMatcher<ErrorIsMatcher> ErrorIs(ErrorCode code) {
  return ::testing::MakePolymorphicMatcher(ErrorIsMatcher(code, std::nullopt));
}
inline ::testing::PolymorphicMatcher<ErrorIsMatcher> ErrorIs(
    ErrorCode code, ::testing::Matcher<const std::string&> message) {
  return ::testing::MakePolymorphicMatcher(ErrorIsMatcher(code, std::move(message)));
}

// Matches a Result<T> without an error whose value matches `inner`.
template <typename InnerMatcher>
class IsOkAndHoldsMatcher {
 public:
  explicit IsOkAndHoldsMatcher(InnerMatcher inner) : inner_(std::move(inner)) {}

  template <typename R>
  operator ::testing::Matcher<R>() const {  // NOLINT: implicit, as gMock's own matchers
    return ::testing::Matcher<R>(new Impl<R>(inner_));
  }

 private:
  template <typename R>
  class Impl : public ::testing::MatcherInterface<R> {
   public:
    using Value =
        std::remove_cvref_t<decltype(std::declval<const std::remove_cvref_t<R>&>().value())>;
    explicit Impl(const InnerMatcher& inner)
        : inner_(::testing::SafeMatcherCast<const Value&>(inner)) {}
    bool MatchAndExplain(R r, ::testing::MatchResultListener* listener) const override {
      if (!r.ok()) {
        *listener << "which is " << ::testing::PrintToString(r.error());
        return false;
      }
      ::testing::StringMatchResultListener inner;
      bool matched = inner_.MatchAndExplain(r.value(), &inner);
      *listener << "which is OK holding " << ::testing::PrintToString(r.value());
      if (!inner.str().empty()) *listener << ", " << inner.str();
      return matched;
    }
    void DescribeTo(std::ostream* os) const override {
      *os << "is OK and holds a value that ";
      inner_.DescribeTo(os);
    }
    void DescribeNegationTo(std::ostream* os) const override {
      *os << "holds an error or a value that ";
      inner_.DescribeNegationTo(os);
    }

   private:
    ::testing::Matcher<const Value&> inner_;
  };

  InnerMatcher inner_;
};

template <typename InnerMatcher>
IsOkAndHoldsMatcher<std::decay_t<InnerMatcher>> IsOkAndHolds(InnerMatcher&& inner) {
  return IsOkAndHoldsMatcher<std::decay_t<InnerMatcher>>(std::forward<InnerMatcher>(inner));
}

}  // namespace testing
}  // namespace hull

#define EXPECT_OK(expr) EXPECT_THAT((expr), ::hull::testing::IsOk())
#define ASSERT_OK(expr) ASSERT_THAT((expr), ::hull::testing::IsOk())
#define EXPECT_ERROR(expr, code) EXPECT_THAT((expr), ::hull::testing::ErrorIs(code))
#define ASSERT_ERROR(expr, code) ASSERT_THAT((expr), ::hull::testing::ErrorIs(code))

// ASSERT_OK_AND_ASSIGN(decl, expr): `decl = value of expr`, or a fatal failure
// that prints the error. Like ASSERT_*, only in functions returning void.
#define ASSERT_OK_AND_ASSIGN(decl, expr) \
  HULL_ASSERT_OK_AND_ASSIGN_IMPL_(HULL_CONCAT_(hull_assign_r_, __LINE__), decl, expr)
#define HULL_ASSERT_OK_AND_ASSIGN_IMPL_(tmp, decl, expr)                             \
  auto tmp = (expr);                                                                 \
  ASSERT_THAT(tmp, ::hull::testing::IsOk()) << "in ASSERT_OK_AND_ASSIGN(" #expr ")"; \
  decl = std::move(tmp).value()
