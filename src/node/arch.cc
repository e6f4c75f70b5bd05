#include "node/arch.h"

#include <sys/utsname.h>

#include <array>
#include <string>

namespace hull::node {
namespace {

constexpr std::array<ArchNames, 2> kArches = {{
    {"x86_64", "amd64", gpt::Arch::kX86_64, 0x8664, "BOOTX64.EFI"},
    {"aarch64", "arm64", gpt::Arch::kArm64, 0xAA64, "BOOTAA64.EFI"},
}};

template <typename Pred>
const ArchNames* Find(Pred pred) {
  for (const ArchNames& a : kArches)
    if (pred(a)) return &a;
  return nullptr;
}

}  // namespace

std::span<const ArchNames> AllArches() { return kArches; }

const ArchNames* ArchOfMachine(std::string_view machine) {
  return Find([&](const ArchNames& a) { return a.machine == machine; });
}

const ArchNames* ArchOfDebian(std::string_view debian) {
  return Find([&](const ArchNames& a) { return a.debian == debian; });
}

const ArchNames* ArchOfGpt(gpt::Arch arch) {
  return Find([&](const ArchNames& a) { return a.gpt == arch; });
}

const ArchNames* ArchOfCoffMachine(uint16_t machine) {
  return Find([&](const ArchNames& a) { return a.coff_machine == machine; });
}

const ArchNames* ArchOfRemovableBootFile(std::string_view file) {
  return Find([&](const ArchNames& a) { return a.removable_boot_file == file; });
}

std::string_view DebianArchOfMachine(std::string_view machine) {
  const ArchNames* a = ArchOfMachine(machine);
  return a ? a->debian : machine;
}

std::string NativeMachine() {
  utsname u{};
  if (uname(&u) != 0) return "";
  return u.machine;
}

}  // namespace hull::node
