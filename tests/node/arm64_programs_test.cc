// The cross-built aarch64 hull-init and hull-agent (cmake/NodeArm64.cmake):
// their ELF headers read here from the ELF specification (not by file or
// readelf), and both run under qemu-aarch64-static. hull-init refuses to run
// as any process but 1, the amd64 build as well as the aarch64 one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "base/file.h"
#include "base/subprocess.h"
#include "support/status_matchers.h"

namespace hull {
namespace {

// ELF-64 little-endian, from the System V gABI: e_ident, e_machine at 18,
// e_phoff at 32, e_phentsize at 54, e_phnum at 56; program header p_type at 0.
constexpr uint16_t kEmAarch64 = 183;
constexpr uint16_t kEmX86_64 = 62;
constexpr uint32_t kPtDynamic = 2;
constexpr uint32_t kPtInterp = 3;

uint16_t Le16(const Bytes& b, size_t at) { return uint16_t(b[at] | (b[at + 1] << 8)); }
uint32_t Le32(const Bytes& b, size_t at) { return Le16(b, at) | (uint32_t(Le16(b, at + 2)) << 16); }
uint64_t Le64(const Bytes& b, size_t at) { return Le32(b, at) | (uint64_t(Le32(b, at + 4)) << 32); }

struct ElfFacts {
  uint16_t machine = 0;
  bool dynamic = false;  // a PT_INTERP or PT_DYNAMIC segment
};

ElfFacts ReadElf(const std::string& path) {
  auto bytes = ReadFileBytes(path);
  EXPECT_OK(bytes) << "(cmake --build build --target hull_node_arm64 builds it)";
  if (!bytes.ok()) return {};
  const Bytes& b = *bytes;
  EXPECT_GE(b.size(), 64u);
  if (b.size() < 64) return {};
  EXPECT_EQ(std::memcmp(b.data(),
                        "\x7f"
                        "ELF",
                        4),
            0)
      << path;
  EXPECT_EQ(b[4], 2) << path << ": not ELFCLASS64";
  EXPECT_EQ(b[5], 1) << path << ": not little-endian";
  ElfFacts f{.machine = Le16(b, 18)};
  const uint64_t phoff = Le64(b, 32);
  const uint16_t phentsize = Le16(b, 54), phnum = Le16(b, 56);
  EXPECT_GT(phnum, 0);
  for (uint16_t i = 0; i < phnum; ++i) {
    const uint64_t at = phoff + uint64_t(i) * phentsize;
    EXPECT_LE(at + 4, b.size());
    if (at + 4 > b.size()) break;
    const uint32_t type = Le32(b, at);
    if (type == kPtDynamic || type == kPtInterp) f.dynamic = true;
  }
  return f;
}

// As nobody, so that a hull-init without its guard fails its mounts rather
// than mounting over the host's /proc; it would then hang and time out.
Command AsNobody(std::vector<std::string> argv) {
  std::vector<std::string> full = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  full.insert(full.end(), argv.begin(), argv.end());
  return Command{.argv = std::move(full), .timeout = std::chrono::seconds(60)};
}

TEST(Arm64Programs, AreStaticAarch64Elf) {
  for (const char* p : {HULL_ARM64_INIT, HULL_ARM64_AGENT}) {
    ElfFacts f = ReadElf(p);
    EXPECT_EQ(f.machine, kEmAarch64) << p;
    EXPECT_FALSE(f.dynamic) << p << " has a dynamic section or an interpreter";
  }
  // and the host's are not: the test tells the two apart
  EXPECT_EQ(ReadElf(HULL_AMD64_INIT).machine, kEmX86_64);
}

TEST(Arm64Programs, AgentRunsUnderQemu) {
  ASSERT_OK_AND_ASSIGN(
      ProcessOutput r,
      RunAllowFailure(AsNobody({"qemu-aarch64-static", HULL_ARM64_AGENT, "--help"})));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::HasSubstr("Hull's on-node agent"));
  EXPECT_THAT(r.out, ::testing::HasSubstr("update"));
}

TEST(Arm64Programs, InitRefusesToRunAsAnotherProcessThanOne) {
  ASSERT_OK_AND_ASSIGN(ProcessOutput r,
                       RunAllowFailure(AsNobody({"qemu-aarch64-static", HULL_ARM64_INIT})));
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("hull-init: not process 1"));
}

TEST(Arm64Programs, HostInitRefusesToRunAsAnotherProcessThanOne) {
  ASSERT_OK_AND_ASSIGN(ProcessOutput r, RunAllowFailure(AsNobody({HULL_AMD64_INIT})));
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("hull-init: not process 1"));
}

}  // namespace
}  // namespace hull
