// The agent's rollback bookkeeping.
#include <gtest/gtest.h>

#include "agent/rollback.h"
#include "base/file.h"
#include "support/status_matchers.h"

namespace hull::agent {
namespace {

TEST(Rollback, BadVersionsPersist) {
  auto dir = TempDir::Create("hull-agent-test");
  ASSERT_OK(dir);
  const std::string path = dir->path() + "/bad-versions";
  auto none = LoadBadVersions(path);
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  ASSERT_OK(SaveBadVersions(path, {"202611.27.0", "202612.04.1"}));
  auto back = LoadBadVersions(path);
  ASSERT_OK(back);
  EXPECT_EQ(*back, (std::set<std::string>{"202611.27.0", "202612.04.1"}));
  auto text = ReadFileText(path);
  ASSERT_OK(text);
  EXPECT_EQ(*text, "202611.27.0\n202612.04.1\n");
}

}  // namespace
}  // namespace hull::agent
