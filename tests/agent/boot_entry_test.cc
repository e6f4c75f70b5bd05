// agent/boot_entry.h on a directory standing in for efivarfs: BootOrder and
// BootNext are written over in place (the file an earlier reader opened is
// the one that holds the new order: never deleted and created again, which
// on efivarfs would leave no BootOrder between the two calls), and a
// malformed BootOrder is replaced by one with ours first and the entries it
// named that exist. The bytes are UEFI 2.10 §3.3's: UINT16 numbers,
// little-endian, behind efivarfs's 4 attribute bytes (NV|BS|RT = 7).
#include "agent/boot_entry.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/file.h"
#include "support/status_matchers.h"

namespace hull::agent {
namespace {

using ::hull::testing::ErrorIs;

const std::string kGuid = "-8be4df61-93ca-11d2-aa0d-00e098032b8c";

struct Vars {
  TempDir dir = TempDir::Create("efivars").value();
  std::string Path(const std::string& name) const { return dir.path() + "/" + name + kGuid; }
  void Put(const std::string& name, const Bytes& b) const {
    ASSERT_OK(WriteFileAtomic(Path(name), ByteSpan(b)));
  }
  Bytes Get(const std::string& name) const {
    auto b = ReadFileBytes(Path(name));
    EXPECT_OK(b);
    return b.ok() ? *b : Bytes{};
  }
};

// Any two entries of the firmware's (their bytes are not read as options).
void TwoEntries(const Vars& v) {
  v.Put("Boot0000", {7, 0, 0, 0, 1, 0, 0, 0});
  v.Put("Boot0001", {7, 0, 0, 0, 1, 0, 0, 0});
}

node::LoadOption Ours() {
  return {.description = "Hull",
          .disk = {.partition = 1, .start_lba = 2048, .sectors = 4096},
          .file = "\\EFI\\BOOT\\BOOTX64.EFI"};
}

// The bytes a file opened before holds now (pread on that descriptor).
Bytes ReadThrough(int fd) {
  Bytes b(64);
  ssize_t n = pread(fd, b.data(), b.size(), 0);
  b.resize(n < 0 ? 0 : size_t(n));
  return b;
}

TEST(BootEntry, BootOrderIsWrittenOverNeverDeleted) {
  Vars v;
  TwoEntries(v);
  v.Put("BootOrder", {7, 0, 0, 0, 1, 0, 0, 0});
  Fd before(open(v.Path("BootOrder").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_GE(before.get(), 0);
  ASSERT_OK_AND_ASSIGN(BootEntry e, AddBootEntry(v.dir.path(), Ours()));
  EXPECT_EQ(e.number, 2);
  EXPECT_EQ(e.malformed_order, "");
  EXPECT_EQ(v.Get("BootOrder"), (Bytes{7, 0, 0, 0, 2, 0, 1, 0, 0, 0}));
  // The same file: the variable was replaced, not removed and made again.
  EXPECT_EQ(ReadThrough(before.get()), (Bytes{7, 0, 0, 0, 2, 0, 1, 0, 0, 0}));
  ASSERT_OK_AND_ASSIGN(Bytes option, node::EncodeLoadOption(Ours()));
  EXPECT_EQ(v.Get("Boot0002"), node::EfivarsFile(7, option));

  // BootNext the same way, and shorter values leave no old tail.
  v.Put("BootNext", {7, 0, 0, 0, 1, 0, 9, 9});
  Fd next(open(v.Path("BootNext").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_OK(SetBootNext(v.dir.path(), 2));
  EXPECT_EQ(ReadThrough(next.get()), (Bytes{7, 0, 0, 0, 2, 0}));

  // Again: the identical Boot0002 is reused, no other entry is written.
  ASSERT_OK_AND_ASSIGN(BootEntry again, AddBootEntry(v.dir.path(), Ours()));
  EXPECT_EQ(again.number, 2);
  EXPECT_NE(access(v.Path("Boot0003").c_str(), F_OK), 0);
  EXPECT_EQ(v.Get("BootOrder"), (Bytes{7, 0, 0, 0, 2, 0, 1, 0, 0, 0}));
}

TEST(BootEntry, MalformedBootOrderIsReplacedKeepingWhatNamesAnEntry) {
  struct Case {
    Bytes order;
    Bytes want;
  };
  const std::string odd_message =
      "BootOrder: 9 bytes, expected 4 bytes of attributes and an even number of bytes of option "
      "numbers";
  // Odd: 1, 9 (no Boot0009: dropped), 1 again (once), a stray byte.
  // Shorter than its attributes: no order. Oversized: its first numbers.
  Bytes huge = {7, 0, 0, 0};
  for (size_t i = 0; i < node::kMaxBootOrderBytes / 2 + 1; ++i) {
    huge.push_back(0);
    huge.push_back(0);
  }
  for (const Case& c : {Case{{7, 0, 0, 0, 1, 0, 9, 0, 1}, {7, 0, 0, 0, 2, 0, 1, 0}},
                        Case{{7, 0}, {7, 0, 0, 0, 2, 0}}, Case{huge, {7, 0, 0, 0, 2, 0, 0, 0}}}) {
    Vars v;
    TwoEntries(v);
    v.Put("BootOrder", c.order);
    ASSERT_OK_AND_ASSIGN(BootEntry e, AddBootEntry(v.dir.path(), Ours()));
    EXPECT_EQ(e.number, 2);
    EXPECT_NE(e.malformed_order, "") << c.order.size();
    EXPECT_EQ(v.Get("BootOrder"), c.want) << c.order.size();
  }
  Vars v;
  TwoEntries(v);
  v.Put("BootOrder", {7, 0, 0, 0, 1, 0, 0, 0, 5});
  ASSERT_OK_AND_ASSIGN(BootEntry e, AddBootEntry(v.dir.path(), Ours()));
  EXPECT_EQ(e.malformed_order, odd_message);
  EXPECT_EQ(v.Get("BootOrder"), (Bytes{7, 0, 0, 0, 2, 0, 1, 0, 0, 0}));
}

TEST(BootEntry, ADiskWithoutAnEspHasNoEntry) {
  Vars v;
  EXPECT_THAT(AddDiskBootEntry(v.dir.path(), gpt::Table{}), ErrorIs(ErrorCode::kNotFound));
}

}  // namespace
}  // namespace hull::agent
