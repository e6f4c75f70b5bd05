#include "gpt/attributes.h"

#include <array>

#include <fmt/format.h>

namespace hull::gpt {
namespace {

struct Flag {
  std::string_view name;
  uint64_t bit;
};
constexpr std::array kFlags{
    Flag{"required", kAttrRequired},
    Flag{"no-block-io", kAttrNoBlockIo},
    Flag{"legacy-bios-bootable", kAttrLegacyBiosBootable},
    Flag{"grow-fs", kAttrGrowFs},
    Flag{"read-only", kAttrReadOnly},
    Flag{"no-auto", kAttrNoAuto},
};
constexpr uint64_t kCgptMask = UINT64_C(0x1FF) << kPriorityShift;

}  // namespace

std::optional<uint64_t> AttributeFlag(std::string_view name) {
  for (const auto& f : kFlags)
    if (f.name == name) return f.bit;
  return std::nullopt;
}

std::vector<std::string> AttributeNames(uint64_t attr) {
  std::vector<std::string> out;
  uint64_t named = 0;
  for (const auto& f : kFlags) {
    named |= f.bit;
    if (attr & f.bit) out.emplace_back(f.name);
  }
  for (int bit = 0; bit < 64; ++bit) {
    uint64_t m = UINT64_C(1) << bit;
    if ((attr & m) && !(named & m) && !(kCgptMask & m)) out.push_back(fmt::format("bit:{}", bit));
  }
  return out;
}

}  // namespace hull::gpt
