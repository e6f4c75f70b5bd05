// The EFI variables hull-init reads (node/load_option.h): LoaderDevicePartUUID,
// BootCurrent, a Boot####'s PCI path, and the sysfs link it is compared with.
#include "node/load_option.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::node {
namespace {

// An efivarfs file as the kernel presents it: the 32-bit attributes
// (little-endian; 0x06 = BOOTSERVICE_ACCESS | RUNTIME_ACCESS, as systemd-boot
// sets the variable) and the value, here ASCII text as UTF-16LE.
Bytes File(const std::string& text, bool nul = true, uint32_t attributes = 0x06) {
  Bytes b = {uint8_t(attributes), uint8_t(attributes >> 8), uint8_t(attributes >> 16),
             uint8_t(attributes >> 24)};
  for (char c : text) b.insert(b.end(), {uint8_t(c), 0});
  if (nul) b.insert(b.end(), {0, 0});
  return b;
}

TEST(BootVariables, ReadsTheEspUuidInEitherCase) {
  ASSERT_OK_AND_ASSIGN(Uuid u,
                       ParseLoaderDevicePartUuid(File("6A9D5B4C-0F1E-4D2C-8B3A-291807F6E5D4")));
  EXPECT_EQ(u.ToString(), "6a9d5b4c-0f1e-4d2c-8b3a-291807f6e5d4");
  ASSERT_OK_AND_ASSIGN(u, ParseLoaderDevicePartUuid(
                              File("6a9d5b4c-0f1e-4d2c-8b3a-291807f6e5d4", /*nul=*/false, 0x07)));
  EXPECT_EQ(u.ToString(), "6a9d5b4c-0f1e-4d2c-8b3a-291807f6e5d4");
}

TEST(BootVariables, Errors) {
  auto expect = [](const Bytes& file, const std::string& msg) {
    auto r = ParseLoaderDevicePartUuid(file);
    EXPECT_ERROR(r, ErrorCode::kCorrupt);
    if (!r.ok()) {
      EXPECT_EQ(r.error().ToString(), msg);
    }
  };
  expect(Bytes{6, 0, 0, 0},
         "LoaderDevicePartUUID: 4 bytes, expected 4 bytes of attributes and a UTF-16 value");
  Bytes odd = File("6A9D5B4C-0F1E-4D2C-8B3A-291807F6E5D4", false);
  odd.pop_back();
  expect(odd, "LoaderDevicePartUUID: 75 bytes, expected 4 bytes of attributes and a UTF-16 value");
  expect(File(std::string(64, 'A'), true),
         "LoaderDevicePartUUID: 134 bytes, expected 4 bytes of attributes and a UTF-16 value");
  Bytes wide = File("6A9D5B4C-0F1E-4D2C-8B3A-291807F6E5D4");
  wide[4 + 2 * 3 + 1] = 0x04;  // a non-ASCII code unit (U+0444) as the fourth character
  expect(wide, "LoaderDevicePartUUID: character 3 is not printable ASCII");
  expect(File("6A9D5B4C-0F1E-4D2C-8B3A-291807F6E5D\n"),
         "LoaderDevicePartUUID: character 35 is not printable ASCII");
  expect(File("6A9D5B4C-0F1E-4D2C-8B3A"),
         "LoaderDevicePartUUID: '6A9D5B4C-0F1E-4D2C-8B3A' is not a UUID");
  expect(File("6A9D5B4C-0F1E-4D2C-8B3A-291807F6E5DZ"),
         "LoaderDevicePartUUID: '6A9D5B4C-0F1E-4D2C-8B3A-291807F6E5DZ' is not a UUID");
  expect(File(""), "LoaderDevicePartUUID: '' is not a UUID");
}

// A load option as UEFI 2.10 §3.1.3 lays it out, behind efivarfs's 4 bytes
// of attributes: UINT32 Attributes, UINT16 FilePathListLength, the
// description in UTF-16 with its NUL, the device path list, optional data.
Bytes OptionFile(const std::string& description, const Bytes& path, const Bytes& optional = {}) {
  Bytes b = {0x07, 0, 0, 0, 0x01, 0, 0, 0};  // efivarfs attributes; LOAD_OPTION_ACTIVE
  b.push_back(uint8_t(path.size()));
  b.push_back(uint8_t(path.size() >> 8));
  for (char c : description) b.insert(b.end(), {uint8_t(c), 0});
  b.insert(b.end(), {0, 0});
  b.insert(b.end(), path.begin(), path.end());
  b.insert(b.end(), optional.begin(), optional.end());
  return b;
}

// Device path nodes (UEFI 2.10 §10.3): type, subtype, length (LE16), data.
const Bytes kPciRoot = {0x02, 0x01, 0x0c, 0x00, 0xd0, 0x41, 0x03, 0x0a, 0, 0, 0, 0};  // PNP0A03
Bytes Pci(uint8_t device, uint8_t function) { return {0x01, 0x01, 0x06, 0x00, function, device}; }
const Bytes kEnd = {0x7f, 0xff, 0x04, 0x00};
// HD(1,GPT,<uuid>,0x800,0x10000): 42 bytes.
Bytes Hd() {
  Bytes b = {0x04, 0x01, 42, 0, 1, 0, 0, 0};
  b.resize(42, 0x11);
  b[40] = 0x02;  // MBR type: GPT
  b[41] = 0x02;  // signature type: GUID
  return b;
}
Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(BootVariables, BootCurrent) {
  ASSERT_OK_AND_ASSIGN(uint16_t n, ParseBootCurrent(Bytes{6, 0, 0, 0, 0x0a, 0x01}));
  EXPECT_EQ(n, 0x010a);
  EXPECT_EQ(BootOptionVariable(0x010a), "Boot010A-8be4df61-93ca-11d2-aa0d-00e098032b8c");
  auto r = ParseBootCurrent(Bytes{6, 0, 0, 0, 1});
  ASSERT_ERROR(r, ErrorCode::kCorrupt);
  EXPECT_EQ(r.error().ToString(),
            "BootCurrent: 5 bytes, expected 4 bytes of attributes and 2 of value");
}

TEST(BootVariables, LoadOptionPciPaths) {
  // OVMF's option for a virtio disk: PciRoot(0x0)/Pci(0x4,0x0), with
  // optional data after the path.
  ASSERT_OK_AND_ASSIGN(auto p,
                       ParseLoadOptionPciPath(OptionFile(
                           "UEFI Misc Device", Cat({kPciRoot, Pci(4, 0), kEnd}), Bytes(16, 0x4e))));
  EXPECT_EQ(p, (std::vector<PciFunction>{{4, 0}}));
  EXPECT_EQ(PciPathString(p), "PciRoot/Pci(0x4,0x0)");
  // An NVMe disk behind a bridge: PciRoot/Pci(0x1,0x2)/Pci(0x0,0x0)/
  // NVMe(0x1,...)/HD(...)/\EFI\BOOT\BOOTX64.EFI.
  const Bytes nvme = {0x03, 0x17, 16, 0, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
  Bytes file = {0x04, 0x04, 0, 0};
  for (char c : std::string("\\EFI\\BOOT\\BOOTX64.EFI")) file.insert(file.end(), {uint8_t(c), 0});
  file.insert(file.end(), {0, 0});
  file[2] = uint8_t(file.size());
  ASSERT_OK_AND_ASSIGN(
      p, ParseLoadOptionPciPath(
             OptionFile("disk", Cat({kPciRoot, Pci(1, 2), Pci(0, 0), nvme, Hd(), file, kEnd}))));
  EXPECT_EQ(p, (std::vector<PciFunction>{{1, 2}, {0, 0}}));
  EXPECT_EQ(PciPathString(p), "PciRoot/Pci(0x1,0x2)/Pci(0x0,0x0)");
  // A short-form path names the partition only: no device.
  ASSERT_OK_AND_ASSIGN(p, ParseLoadOptionPciPath(OptionFile("Linux", Cat({Hd(), kEnd}))));
  EXPECT_TRUE(p.empty());
}

TEST(BootVariables, LoadOptionErrors) {
  auto expect = [](const Bytes& file, const std::string& msg) {
    auto r = ParseLoadOptionPciPath(file);
    ASSERT_ERROR(r, ErrorCode::kCorrupt);
    EXPECT_EQ(r.error().ToString(), msg);
  };
  expect(Bytes(11, 0), "load option: 11 bytes, too short or too long");
  expect(Bytes(4 + kMaxLoadOptionBytes + 1, 0), "load option: 4101 bytes, too short or too long");
  Bytes unterminated = {0x07, 0, 0, 0, 1, 0, 0, 0, 4, 0, 'A', 0, 'B', 0};
  expect(unterminated, "load option: description not terminated");
  // "A" + NUL ends at 14: the path list starts there.
  expect(OptionFile("A", Bytes{0x01, 0x01, 0x06}),
         "load option: device path node at 14 overruns the list");
  expect(OptionFile("A", Bytes{0x01, 0x01, 0x02, 0x00, 0, 0}),
         "load option: device path node at 14 has length 2");
  expect(OptionFile("A", Cat({Bytes{0x01, 0x01, 0x40, 0x00}, Bytes(8, 0)})),
         "load option: device path node at 14 has length 64");
  expect(OptionFile("A", Cat({Bytes{0x01, 0x01, 0x08, 0x00, 0, 4, 0, 0}, kEnd})),
         "load option: PCI node at 14 has length 8");
}

TEST(BootVariables, SysfsPciPath) {
  EXPECT_EQ(SysfsPciPath("../devices/pci0000:00/0000:00:04.0/virtio1/block/vda"),
            (std::vector<PciFunction>{{4, 0}}));
  EXPECT_EQ(SysfsPciPath("../devices/pci0000:00/0000:00:01.2/0000:01:00.0/nvme/nvme0/nvme0n1"),
            (std::vector<PciFunction>{{1, 2}, {0, 0}}));
  EXPECT_EQ(SysfsPciPath("../devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/"
                         "block/sda"),
            (std::vector<PciFunction>{{0x1f, 2}}));
  EXPECT_TRUE(SysfsPciPath("../devices/virtual/block/loop0").empty());
  EXPECT_TRUE(SysfsPciPath("../devices/platform/0000:00:04.0/block/vda").empty());
}

}  // namespace
}  // namespace hull::node
