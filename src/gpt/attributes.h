// GPT partition entry attribute bits (u64 at entry offset 48).
//   UEFI 2.10 §5.3.3 table 5-8: bit 0 required, 1 no-block-io, 2 legacy BIOS bootable.
//   DPS: bit 59 grow-fs, 60 read-only, 63 no-auto.
//   ChromeOS cgpt (Flatcar, Bottlerocket): bits 48-51 priority, 52-55 tries,
//   56 successful (REFERENCE.md §2.3).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hull::gpt {

inline constexpr uint64_t kAttrRequired = UINT64_C(1) << 0;
inline constexpr uint64_t kAttrNoBlockIo = UINT64_C(1) << 1;
inline constexpr uint64_t kAttrLegacyBiosBootable = UINT64_C(1) << 2;
inline constexpr uint64_t kAttrGrowFs = UINT64_C(1) << 59;
inline constexpr uint64_t kAttrReadOnly = UINT64_C(1) << 60;
inline constexpr uint64_t kAttrNoAuto = UINT64_C(1) << 63;

inline constexpr int kPriorityShift = 48;
inline constexpr int kTriesShift = 52;
inline constexpr int kSuccessfulShift = 56;
inline constexpr unsigned kMaxPriority = 15;  // CGPT_ATTRIBUTE_MAX_PRIORITY
inline constexpr unsigned kMaxTries = 15;

inline unsigned Priority(uint64_t attr) { return unsigned(attr >> kPriorityShift) & 0xF; }
inline unsigned Tries(uint64_t attr) { return unsigned(attr >> kTriesShift) & 0xF; }
inline bool Successful(uint64_t attr) { return (attr >> kSuccessfulShift) & 1; }

// Setters keep every other bit; values above 15 are clamped to 15.
inline uint64_t WithPriority(uint64_t attr, unsigned p) {
  if (p > kMaxPriority) p = kMaxPriority;
  return (attr & ~(UINT64_C(0xF) << kPriorityShift)) | (uint64_t(p) << kPriorityShift);
}
inline uint64_t WithTries(uint64_t attr, unsigned t) {
  if (t > kMaxTries) t = kMaxTries;
  return (attr & ~(UINT64_C(0xF) << kTriesShift)) | (uint64_t(t) << kTriesShift);
}
inline uint64_t WithSuccessful(uint64_t attr, bool s) {
  return (attr & ~(UINT64_C(1) << kSuccessfulShift)) | (uint64_t(s) << kSuccessfulShift);
}

// Named single-bit flags: "required", "no-block-io", "legacy-bios-bootable",
// "grow-fs", "read-only", "no-auto". nullopt for other names.
std::optional<uint64_t> AttributeFlag(std::string_view name);
// The names of the set named flags, then "bit:N" for other set bits outside
// the cgpt field 48-56 (which callers print as priority/tries/successful).
std::vector<std::string> AttributeNames(uint64_t attr);

}  // namespace hull::gpt
