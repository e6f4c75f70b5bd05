#include "node/boot_count.h"

#include <algorithm>
#include <cstring>

namespace hull::node {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// strchr would also match the terminating NUL: a NUL byte is not a version character.
bool IsVersionChar(char c) {
  return IsDigit(c) || IsAlpha(c) || (c != '\0' && std::strchr("~-^.", c) != nullptr);
}
int Cmp(bool a, bool b) { return int(a) - int(b); }
int Sign(int v) { return (v > 0) - (v < 0); }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

bool EndsWithNoCase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i)
    if (Lower(s[s.size() - suffix.size() + i]) != Lower(suffix[i])) return false;
  return true;
}

// A run of digits of any length: the value, kMaxTries when above it;
// nullopt otherwise. A counter too long for systemd-boot's integer is still
// a counter here: "+0-1001" is a bad entry, never an uncounted (good) one.
std::optional<uint32_t> Number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return std::nullopt;
    v = std::min<uint32_t>(v * 10 + uint32_t(c - '0'), kMaxTries + 1);
  }
  return std::min(v, kMaxTries);
}

// The character at i, or NUL past the end (the algorithm is written on C strings).
char At(std::string_view s, size_t i) { return i < s.size() ? s[i] : '\0'; }

}  // namespace

const char* EntryStateName(EntryState s) {
  switch (s) {
    case EntryState::kGood:
      return "good";
    case EntryState::kIndeterminate:
      return "indeterminate";
    case EntryState::kBad:
      return "bad";
  }
  return "?";
}

EntryState EntryName::state() const {
  if (!left) return EntryState::kGood;
  return *left > 0 ? EntryState::kIndeterminate : EntryState::kBad;
}

std::string EntryName::ToString() const {
  std::string out = stem;
  if (left) {
    out += "+" + std::to_string(*left);
    if (done) out += "-" + std::to_string(*done);
  }
  return out + suffix;
}

Result<EntryName> ParseEntryName(std::string_view file_name, std::string_view suffix) {
  if (!EndsWithNoCase(file_name, suffix))
    return Errorf(ErrorCode::kInvalidArgument, "boot entry '{}' does not end in '{}'", file_name,
                  suffix);
  EntryName e;
  e.suffix = std::string(file_name.substr(file_name.size() - suffix.size()));
  std::string_view base = file_name.substr(0, file_name.size() - suffix.size());
  size_t plus = base.rfind('+');
  e.stem = std::string(base);
  if (plus != std::string_view::npos) {
    std::string_view counter = base.substr(plus + 1);
    size_t dash = counter.find('-');
    auto left = Number(counter.substr(0, dash));
    std::optional<uint32_t> done;
    bool ok = left.has_value();
    if (ok && dash != std::string_view::npos) {
      done = Number(counter.substr(dash + 1));
      ok = done.has_value();
    }
    if (ok) {
      e.stem = std::string(base.substr(0, plus));
      e.left = left;
      e.done = done;
    }
  }
  if (e.stem.empty())
    return Errorf(ErrorCode::kInvalidArgument, "boot entry '{}' has an empty name", file_name);
  return e;
}

std::string CountedName(std::string_view stem, uint32_t tries) {
  return std::string(stem) + "+" + std::to_string(tries) + ".efi";
}

EntryName AfterTry(const EntryName& entry) {
  EntryName next = entry;
  if (!entry.left) return next;
  next.left = *entry.left == 0 ? 0 : *entry.left - 1;
  const uint32_t done = entry.done.value_or(0);
  next.done = done >= kMaxTries ? kMaxTries : done + 1;
  return next;
}

std::string UkiStem(std::string_view version) { return "hull_" + std::string(version); }

std::string VersionOfStem(std::string_view stem) {
  if (stem.size() <= 5 || stem.substr(0, 5) != "hull_") return "";
  return std::string(stem.substr(5));
}

int CompareVersions(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return Cmp(!a.empty(), !b.empty());
  size_t i = 0, j = 0;
  for (;;) {
    while (i < a.size() && !IsVersionChar(a[i])) ++i;
    while (j < b.size() && !IsVersionChar(b[j])) ++j;
    if (At(a, i) == '~' || At(b, j) == '~') {
      if (int r = Cmp(At(a, i) != '~', At(b, j) != '~'); r != 0) return r;
      ++i, ++j;
    }
    if (i >= a.size() || j >= b.size())
      return Sign(
          std::string(a.substr(std::min(i, a.size()))).compare(b.substr(std::min(j, b.size()))));
    for (char sep : {'-', '^', '.'}) {
      if (At(a, i) == sep || At(b, j) == sep) {
        if (int r = Cmp(At(a, i) != sep, At(b, j) != sep); r != 0) return r;
        ++i, ++j;
      }
    }
    size_t ai = i, bj = j;
    if (IsDigit(At(a, i)) || IsDigit(At(b, j))) {
      while (IsDigit(At(a, ai))) ++ai;
      while (IsDigit(At(b, bj))) ++bj;
      if (int r = Cmp(ai != i, bj != j); r != 0) return r;
      while (At(a, i) == '0') ++i;
      while (At(b, j) == '0') ++j;
      if (int r = Sign(int(ai - i) - int(bj - j)); r != 0) return r;
      if (int r = Sign(a.substr(i, ai - i).compare(b.substr(j, bj - j))); r != 0) return r;
    } else {
      while (IsAlpha(At(a, ai))) ++ai;
      while (IsAlpha(At(b, bj))) ++bj;
      size_t n = std::min(ai - i, bj - j);
      if (int r = Sign(a.substr(i, n).compare(b.substr(j, n))); r != 0) return r;
      if (int r = Sign(int(ai - i) - int(bj - j)); r != 0) return r;
    }
    i = ai, j = bj;
  }
}

std::vector<size_t> BootOrder(const std::vector<EntryName>& names) {
  std::vector<size_t> order(names.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    const EntryName& a = names[x];
    const EntryName& b = names[y];
    bool bad_a = a.state() == EntryState::kBad, bad_b = b.state() == EntryState::kBad;
    if (bad_a != bad_b) return !bad_a;
    if (int r = CompareVersions(a.stem, b.stem); r != 0) return r > 0;
    if (!a.left || !b.left) return false;
    if (*a.left != *b.left) return *a.left > *b.left;
    return a.done.value_or(0) < b.done.value_or(0);
  });
  return order;
}

}  // namespace hull::node
