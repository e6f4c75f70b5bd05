// node/load_option.h's names, BootOrder codec and refusals. The encoding
// itself is checked against libefivar in load_option_oracle_test.cc.
#include "node/load_option.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::node {
namespace {
using ::hull::testing::ErrorIs;

TEST(LoadOption, VariableNamesAreTheFirmwares) {
  EXPECT_EQ(BootOptionVariable(0x1a), "Boot001A-8be4df61-93ca-11d2-aa0d-00e098032b8c");
  EXPECT_EQ(BootOrderVariable(), "BootOrder-8be4df61-93ca-11d2-aa0d-00e098032b8c");
  EXPECT_EQ(BootNextVariable(), "BootNext-8be4df61-93ca-11d2-aa0d-00e098032b8c");
  EXPECT_EQ(BootOptionNumber("Boot001A-8be4df61-93ca-11d2-aa0d-00e098032b8c"), 0x1a);
  EXPECT_EQ(BootOptionNumber("BootFFFF-8be4df61-93ca-11d2-aa0d-00e098032b8c"), 0xffff);
  for (const char* bad : {"Boot001a-8be4df61-93ca-11d2-aa0d-00e098032b8c",
                          "BootOrder-8be4df61-93ca-11d2-aa0d-00e098032b8c",
                          "Boot0001-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f", "Boot0001", ""})
    EXPECT_EQ(BootOptionNumber(bad), -1) << bad;
}

TEST(LoadOption, BootOrderRoundTripsAndPutsOursFirst) {
  const std::vector<uint16_t> order = {3, 0, 0x1234, 1};
  Bytes file = EfivarsFile(kBootVariableAttributes, EncodeBootOrder(order));
  EXPECT_EQ(file, (Bytes{7, 0, 0, 0, 3, 0, 0, 0, 0x34, 0x12, 1, 0}));
  ASSERT_OK_AND_ASSIGN(auto back, DecodeBootOrderFile(file));
  EXPECT_EQ(back, order);
  EXPECT_EQ(PutFirst(order, 1), (std::vector<uint16_t>{1, 3, 0, 0x1234}));
  EXPECT_EQ(PutFirst(order, 9), (std::vector<uint16_t>{9, 3, 0, 0x1234, 1}));
  EXPECT_EQ(PutFirst({}, 9), (std::vector<uint16_t>{9}));
  ASSERT_OK_AND_ASSIGN(auto empty, DecodeBootOrderFile(Bytes{7, 0, 0, 0}));
  EXPECT_TRUE(empty.empty());
}

TEST(LoadOption, BootOrderRefusesShortOddAndHugeFiles) {
  for (size_t n : {size_t(0), size_t(3), size_t(5), size_t(4 + kMaxBootOrderBytes + 2)}) {
    auto r = DecodeBootOrderFile(Bytes(n, 0));
    EXPECT_THAT(r, ErrorIs(ErrorCode::kCorrupt)) << n;
    if (!r.ok()) {
      EXPECT_EQ(r.error().message(),
                fmt::format("BootOrder: {} bytes, expected 4 bytes of attributes and an even "
                            "number of bytes of option numbers",
                            n));
    }
  }
}

TEST(LoadOption, SalvageReadsTheWholeNumbersOfAMalformedBootOrder) {
  using V = std::vector<uint16_t>;
  EXPECT_EQ(SalvageBootOrderFile(Bytes{}), V{});
  EXPECT_EQ(SalvageBootOrderFile(Bytes{7, 0, 0}), V{});
  EXPECT_EQ(SalvageBootOrderFile(Bytes{7, 0, 0, 0, 3, 0, 0x34, 0x12, 9}), (V{3, 0x1234}));
  Bytes huge(4 + kMaxBootOrderBytes + 3, 0);
  huge[4 + kMaxBootOrderBytes] = 5;  // past the cap: not read
  EXPECT_EQ(SalvageBootOrderFile(huge), V(kMaxBootOrderBytes / 2, 0));
}

TEST(LoadOption, RefusesWhatTheFirmwareCouldNotShowOrFind) {
  LoadOption o{.description = "Hull",
               .disk = {.partition = 1, .start_lba = 2048, .sectors = 1},
               .file = "\\EFI\\BOOT\\BOOTX64.EFI"};
  ASSERT_OK(EncodeLoadOption(o));
  auto bad = [&](auto change) {
    LoadOption b = o;
    change(b);
    return EncodeLoadOption(b);
  };
  EXPECT_THAT(bad([](LoadOption& b) { b.description = ""; }), ErrorIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad([](LoadOption& b) { b.description = "Hull\xc3\xa9"; }),
              ErrorIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad([](LoadOption& b) { b.file = "EFI\\BOOT\\BOOTX64.EFI"; }),
              ErrorIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad([](LoadOption& b) { b.disk.partition = 0; }),
              ErrorIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(bad([](LoadOption& b) { b.description = std::string(3000, 'x'); }),
              ErrorIs(ErrorCode::kInvalidArgument));
  EXPECT_EQ(RemovableBootFile(gpt::Arch::kX86_64), "BOOTX64.EFI");
  EXPECT_EQ(RemovableBootFile(gpt::Arch::kArm64), "BOOTAA64.EFI");
  EXPECT_EQ(RemovableBootFile(gpt::Arch::kAny), "");
}

}  // namespace
}  // namespace hull::node
