#include "catalog/vm_size.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace hull::catalog {
namespace {

constexpr size_t kMaxSizeNameLength = 64;

bool IsAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char Upper(char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); }
char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

Result<uint32_t> Number(std::string_view digits) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || p != digits.data() + digits.size() || digits.size() > 4 || v == 0) {
    return Errorf(ErrorCode::kInvalidArgument, "'{}' is not a vCPU count", digits);
  }
  return v;
}

// The first token: letters, vCPUs, optional -constrained, feature letters.
Status ParseCore(std::string_view core, VmSizeName& out) {
  size_t i = 0;
  while (i < core.size() && IsAlpha(core[i])) out.subfamily += Upper(core[i++]);
  if (out.subfamily.empty()) return Error(ErrorCode::kInvalidArgument, "no family letter");
  out.family = out.subfamily.substr(0, 1);
  out.subfamily.erase(0, 1);
  size_t start = i;
  while (i < core.size() && IsDigit(core[i])) ++i;
  if (i == start) return Error(ErrorCode::kInvalidArgument, "no vCPU count after the family");
  HULL_ASSIGN_OR_RETURN(out.vcpus, Number(core.substr(start, i - start)));
  if (i < core.size() && core[i] == '-') {
    start = ++i;
    while (i < core.size() && IsDigit(core[i])) ++i;
    HULL_ASSIGN_OR_RETURN(uint32_t c, Number(core.substr(start, i - start)));
    out.constrained_vcpus = c;
  }
  for (; i < core.size(); ++i) {
    char c = Lower(core[i]);
    bool known = std::any_of(std::begin(kFeatureLetters), std::end(kFeatureLetters),
                             [c](const FeatureLetter& f) { return f.letter == c; });
    if (!known) {
      std::string letters;
      for (const auto& f : kFeatureLetters) letters += f.letter;
      return Errorf(ErrorCode::kInvalidArgument, "unknown feature letter '{}' (known: {})", core[i],
                    letters);
    }
    out.features += c;
  }
  return Ok();
}

}  // namespace

Result<VmSizeName> ParseVmSizeName(std::string_view name) {
  auto bad = [&](const Error& why) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "VM size '{}' does not follow Azure's size naming "
                  "(e.g. Standard_D4s_v5): {}",
                  name, why.message());
  };
  if (name.empty() || name.size() > kMaxSizeNameLength) {
    return bad(Error(ErrorCode::kInvalidArgument, "empty or too long"));
  }
  std::string_view rest = name;
  for (std::string_view prefix : {"Standard_", "Basic_"}) {
    if (rest.size() > prefix.size() && IEquals(rest.substr(0, prefix.size()), prefix)) {
      rest.remove_prefix(prefix.size());
      break;
    }
  }
  std::vector<std::string_view> tokens;
  for (size_t pos = 0;;) {
    size_t us = rest.find('_', pos);
    tokens.push_back(rest.substr(pos, us == std::string_view::npos ? us : us - pos));
    if (us == std::string_view::npos) break;
    pos = us + 1;
  }
  VmSizeName out;
  if (auto s = ParseCore(tokens[0], out); !s.ok()) return bad(s.error());
  std::string tail;
  for (size_t t = 1; t < tokens.size(); ++t) {
    std::string_view tok = tokens[t];
    bool last = t + 1 == tokens.size();
    if (tok.empty() ||
        !std::all_of(tok.begin(), tok.end(), [](char c) { return IsAlpha(c) || IsDigit(c); })) {
      return bad(Errorf(ErrorCode::kInvalidArgument, "bad part '{}'", tok));
    }
    if (last && tok.size() >= 2 && Lower(tok[0]) == 'v' &&
        std::all_of(tok.begin() + 1, tok.end(), IsDigit)) {
      auto v = Number(tok.substr(1));
      if (!v.ok()) return bad(Errorf(ErrorCode::kInvalidArgument, "bad version '{}'", tok));
      out.version = *v;
      tail += fmt::format("_v{}", *v);
      continue;
    }
    std::string acc;
    for (char c : tok) acc += Upper(c);
    out.accelerators.push_back(acc);
    tail += "_" + acc;
  }
  std::string counts = std::to_string(out.vcpus);
  if (out.constrained_vcpus) counts += "-" + std::to_string(*out.constrained_vcpus);
  out.series = out.family + out.subfamily + out.features + tail;
  out.canonical = "Standard_" + out.family + out.subfamily + counts + out.features + tail;
  return out;
}

}  // namespace hull::catalog
