#include "init/efivar.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::init {
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

TEST(Efivar, ReadsTheEspUuidInEitherCase) {
  ASSERT_OK_AND_ASSIGN(Uuid u,
                       ParseLoaderDevicePartUuid(File("6A9D5B4C-0F1E-4D2C-8B3A-291807F6E5D4")));
  EXPECT_EQ(u.ToString(), "6a9d5b4c-0f1e-4d2c-8b3a-291807f6e5d4");
  ASSERT_OK_AND_ASSIGN(u, ParseLoaderDevicePartUuid(
                              File("6a9d5b4c-0f1e-4d2c-8b3a-291807f6e5d4", /*nul=*/false, 0x07)));
  EXPECT_EQ(u.ToString(), "6a9d5b4c-0f1e-4d2c-8b3a-291807f6e5d4");
}

TEST(Efivar, Errors) {
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

}  // namespace
}  // namespace hull::init
