// The agent's rollback bookkeeping.
#include <gtest/gtest.h>

#include "agent/rollback.h"
#include "base/file.h"
#include "node/boot_count.h"

namespace hull::agent {
namespace {

slot::Uki Entry(const std::string& file, const std::string& version) {
  slot::Uki u;
  u.file = file;
  u.entry = *node::ParseEntryName(file);
  u.version = version;
  return u;
}

TEST(Rollback, BadEntriesOtherThanTheBootedOneFailed) {
  slot::DiskState st;
  st.ukis = {Entry("hull_202611.26.0.efi", "202611.26.0"),           // blessed: good
             Entry("hull_202611.27.0+0-1.efi", "202611.27.0"),       // every try used: bad
             Entry("hull_202611.28.0+2-1.efi", "202611.28.0")};      // still on trial
  EXPECT_EQ(FailedVersions(st, "202611.26.0"), std::vector<std::string>{"202611.27.0"});
  // The booted entry on its last try is not a rollback (it is running).
  EXPECT_TRUE(FailedVersions(st, "202611.27.0").empty());
}

TEST(Rollback, BadVersionsPersist) {
  auto dir = TempDir::Create("hull-agent-test");
  ASSERT_TRUE(dir.ok());
  const std::string path = dir->path() + "/bad-versions";
  auto none = LoadBadVersions(path);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(SaveBadVersions(path, {"202611.27.0", "202612.04.1"}).ok());
  auto back = LoadBadVersions(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, (std::set<std::string>{"202611.27.0", "202612.04.1"}));
  auto text = ReadFileText(path);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "202611.27.0\n202612.04.1\n");
}

}  // namespace
}  // namespace hull::agent
