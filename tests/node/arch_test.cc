// The one table of architecture names (node/arch.h), checked against the
// tools that own each name: dpkg-architecture maps Debian's name to the GNU
// CPU (the kernel's machine name), `uname -m` and `dpkg --print-architecture`
// name this machine, gpt::ArchName spells the DPS's.
#include "node/arch.h"

#include <gtest/gtest.h>

#include <string>

#include "base/subprocess.h"
#include "support/status_matchers.h"

namespace hull::node {
namespace {

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string RunTool(std::vector<std::string> argv) {
  auto r = hull::Run(Command{.argv = std::move(argv)});
  EXPECT_OK(r);
  return r.ok() ? Trimmed(r->out) : "";
}

TEST(Arch, DebianNameToMachineAgreesWithDpkgArchitecture) {
  ASSERT_EQ(AllArches().size(), 2u);
  for (const ArchNames& a : AllArches()) {
    // The CPU part of Debian's GNU triplet for the arch is the kernel's machine name.
    EXPECT_EQ(RunTool({"dpkg-architecture", "-a", std::string(a.debian), "-qDEB_HOST_GNU_CPU"}),
              a.machine)
        << a.debian;
    EXPECT_EQ(ArchOfMachine(a.machine), &a);
    EXPECT_EQ(ArchOfDebian(a.debian), &a);
    EXPECT_EQ(ArchOfGpt(a.gpt), &a);
    EXPECT_EQ(DebianArchOfMachine(a.machine), a.debian);
  }
  EXPECT_EQ(gpt::ArchName(ArchOfDebian("amd64")->gpt), "x86-64");
  EXPECT_EQ(gpt::ArchName(ArchOfDebian("arm64")->gpt), "arm64");
}

TEST(Arch, ThisMachineAgreesWithUnameAndDpkg) {
  const std::string machine = NativeMachine();
  EXPECT_EQ(machine, RunTool({"uname", "-m"}));
  EXPECT_EQ(DebianArchOfMachine(machine), RunTool({"dpkg", "--print-architecture"}));
}

TEST(Arch, UnknownNamesMatchNothing) {
  // A machine Hull does not know keeps its own name: no release's arch equals it.
  EXPECT_EQ(ArchOfMachine("riscv64"), nullptr);
  EXPECT_EQ(DebianArchOfMachine("riscv64"), "riscv64");
  EXPECT_EQ(ArchOfDebian("x86_64"), nullptr);  // the kernel's name is not Debian's
  EXPECT_EQ(ArchOfMachine("amd64"), nullptr);
  EXPECT_EQ(ArchOfGpt(gpt::Arch::kAny), nullptr);
}

}  // namespace
}  // namespace hull::node
