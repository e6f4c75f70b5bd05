#include "node/smbios.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::node {
namespace {

// Structures built by hand as DSP0134 3.7 lays them out: §6.1.2 header
// (type, length of the formatted area, handle), §6.1.3 string-set (each
// string NUL-terminated, one more NUL at the end; two NULs when empty).
Bytes Structure(uint8_t type, Bytes formatted_tail, const std::vector<std::string>& strings,
                uint16_t handle = 0x0100) {
  Bytes b;
  for (uint8_t x :
       {type, uint8_t(4 + formatted_tail.size()), uint8_t(handle), uint8_t(handle >> 8)})
    b.push_back(x);
  for (uint8_t x : formatted_tail) b.push_back(x);
  for (const auto& s : strings) {
    for (char c : s) b.push_back(uint8_t(c));
    b.push_back(0);
  }
  if (strings.empty()) b.push_back(0);
  b.push_back(0);
  return b;
}

// Type 0 (BIOS Information, §7.1): 0x12 bytes of formatted area in 2.0
// (vendor, version, start segment, release date, ROM size, characteristics).
Bytes Bios() {
  Bytes tail = {1, 2, 0x00, 0xe8, 3, 0, 0x08, 0, 0, 0, 0, 0, 0, 0};
  return Structure(0, tail, {"EFI Development Kit II / OVMF", "0.0.0", "02/06/2015"}, 0);
}
Bytes Oem(const std::vector<std::string>& strings, uint8_t count) {
  return Structure(11, {count}, strings);
}
Bytes EndOfTable() { return Structure(127, {}, {}, 0xfeff); }

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts)
    for (uint8_t x : p) out.push_back(x);
  return out;
}

TEST(Smbios, OemStringsOfEveryType11Structure) {
  Bytes table = Cat({Bios(), Oem({"hull.validate=once", "x=1"}, 2),
                     Structure(1, Bytes(0x15, 0), {"QEMU", "Standard PC"}), Oem({"b"}, 1),
                     EndOfTable(), Oem({"after the end"}, 1)});
  ASSERT_OK_AND_ASSIGN(auto strings, SmbiosOemStrings(table));
  EXPECT_EQ(strings, (std::vector<std::string>{"hull.validate=once", "x=1", "b"}));
  EXPECT_EQ(FindValidationRequest(strings), ValidationRequest::kOnce);
}

TEST(Smbios, NoOemStrings) {
  ASSERT_OK_AND_ASSIGN(auto strings, SmbiosOemStrings(Cat({Bios(), EndOfTable()})));
  EXPECT_TRUE(strings.empty());
  ASSERT_OK_AND_ASSIGN(strings, SmbiosOemStrings(Bytes{}));
  EXPECT_TRUE(strings.empty());
  // A type 11 with count 0 and no strings (two NULs).
  ASSERT_OK_AND_ASSIGN(strings, SmbiosOemStrings(Cat({Oem({}, 0), EndOfTable()})));
  EXPECT_TRUE(strings.empty());
  // Strings beyond Count are not OEM strings.
  ASSERT_OK_AND_ASSIGN(strings, SmbiosOemStrings(Oem({"a", "b"}, 1)));
  EXPECT_EQ(strings, std::vector<std::string>{"a"});
}

TEST(Smbios, ValidationRequest) {
  EXPECT_EQ(FindValidationRequest({}), ValidationRequest::kNone);
  EXPECT_EQ(FindValidationRequest({"hull.validate=reboot"}), ValidationRequest::kReboot);
  EXPECT_EQ(FindValidationRequest({"x", "hull.validate=once", "hull.validate=reboot"}),
            ValidationRequest::kOnce);
  // Only the exact value: neither a disk serial's spelling nor a prefix.
  for (const char* s : {"hull-validate", "hull-validate-once", "hull.validate=", "hull.validate",
                        "hull.validate=once ", "HULL.VALIDATE=ONCE", "hull.validate=rebootx"})
    EXPECT_EQ(FindValidationRequest({s}), ValidationRequest::kNone) << s;
}

TEST(Smbios, Errors) {
  auto expect = [](const Bytes& table, const std::string& msg) {
    auto r = SmbiosOemStrings(table);
    EXPECT_ERROR(r, ErrorCode::kCorrupt);
    if (!r.ok()) {
      EXPECT_EQ(r.error().ToString(), msg);
    }
  };
  const size_t bios = Bios().size();
  expect(Cat({Bios(), Bytes{11, 5, 0}}), "SMBIOS structure at offset " + std::to_string(bios) +
                                             ": header runs past the end of the table");
  Bytes short_length = Oem({"a"}, 1);
  short_length[1] = 3;
  expect(short_length, "SMBIOS structure at offset 0: length 3, less than the 4-byte header");
  Bytes long_length = Oem({"a"}, 1);
  long_length[1] = 200;
  expect(long_length,
         "SMBIOS structure at offset 0: formatted area of 200 bytes runs past the end");
  Bytes open = Oem({"hull.validate=once"}, 1);
  open.pop_back();  // the set's final NUL
  expect(open, "SMBIOS structure at offset 0: string-set not terminated");
  open.pop_back();  // and the string's
  expect(open, "SMBIOS structure at offset 0: string-set not terminated");
  Bytes one_nul = Structure(11, {0}, {});
  one_nul.pop_back();  // a set without strings needs two NULs
  expect(one_nul, "SMBIOS structure at offset 0: string-set not terminated");
  expect(Structure(11, {}, {"a"}), "SMBIOS OEM strings at offset 0: length 4, less than 5");
  expect(Cat({Bios(), Oem({"a", "b"}, 3)}),
         "SMBIOS OEM strings at offset " + std::to_string(bios) + ": count 3 but 2 strings");
  expect(Bytes(kMaxSmbiosTableBytes + 1, 0), "SMBIOS table: 1048577 bytes, larger than 1048576");
}

}  // namespace
}  // namespace hull::node
