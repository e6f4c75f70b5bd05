// The agent's rollback bookkeeping.
#include <gtest/gtest.h>

#include "agent/rollback.h"
#include "base/file.h"

namespace hull::agent {
namespace {

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
