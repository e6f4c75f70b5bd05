// EncodeLoadOption (node/load_option.h) read back by an independent decoder:
// tests/support/decode_load_option.py reads EFI_LOAD_OPTION's header and has
// libefivar (efibootmgr's library, efidp_format_device_path) format the
// device path, which must be the HD() and File() nodes the option names.
#include <gtest/gtest.h>

#include "base/file.h"
#include "base/subprocess.h"
#include "node/load_option.h"
#include "support/status_matchers.h"

namespace hull::node {
namespace {

std::string Decode(const Bytes& option, bool efivarfs) {
  auto dir = TempDir::Create("load-option");
  EXPECT_OK(dir);
  const std::string f = dir->path() + "/option";
  EXPECT_OK(WriteFileAtomic(f, AsChars(option)));
  std::vector<std::string> argv = {"python3", HULL_DECODE_LOAD_OPTION, f};
  if (efivarfs) argv.push_back("--efivarfs");
  auto r = hull::Run(Command{.argv = argv});
  EXPECT_OK(r);
  return r.ok() ? r->out : "";
}

TEST(LoadOptionOracle, LibefivarReadsTheHardDriveAndFileNodes) {
  ASSERT_OK_AND_ASSIGN(Uuid esp, Uuid::Parse("3b1c2a4e-5f60-4d71-8a92-b3c4d5e6f708"));
  struct Case {
    uint32_t partition;
    uint64_t start, sectors;
    std::string_view file;
  };
  // A 512-byte-sector disk (the ESP at 1 MiB, 256 MiB) and a 4Kn disk
  // (the same in 4096-byte blocks), x86-64 and arm64 boot files.
  for (const Case& c : {Case{1, 2048, 524288, "BOOTX64.EFI"}, Case{1, 256, 65536, "BOOTAA64.EFI"},
                        Case{12, 0x123456789aULL, 0x42, "BOOTX64.EFI"}}) {
    LoadOption o{.description = "Hull",
                 .disk = {.partition = c.partition,
                          .start_lba = c.start,
                          .sectors = c.sectors,
                          .partition_guid = esp},
                 .file = "\\EFI\\BOOT\\" + std::string(c.file)};
    ASSERT_OK_AND_ASSIGN(Bytes b, EncodeLoadOption(o));
    EXPECT_EQ(Decode(b, false),
              fmt::format("attributes=0x1 description=Hull path=HD({},GPT,{},0x{:x},0x{:x})/"
                          "File(\\EFI\\BOOT\\{})\n",
                          c.partition, esp.ToString(), c.start, c.sectors, c.file));
  }
  // As efivarfs takes it: NV|BS|RT first.
  LoadOption o{
      .attributes = 0,
      .description = "Hull on /dev/vda",
      .disk = {.partition = 1, .start_lba = 2048, .sectors = 131072, .partition_guid = esp},
      .file = "\\EFI\\BOOT\\BOOTX64.EFI"};
  ASSERT_OK_AND_ASSIGN(Bytes b, EncodeLoadOption(o));
  EXPECT_EQ(Decode(EfivarsFile(kBootVariableAttributes, b), true),
            fmt::format("varattrs=0x7 attributes=0x0 description=Hull on /dev/vda "
                        "path=HD(1,GPT,{},0x800,0x20000)/File(\\EFI\\BOOT\\BOOTX64.EFI)\n",
                        esp.ToString()));
}

}  // namespace
}  // namespace hull::node
