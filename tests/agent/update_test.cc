// The agent's update configuration codec and rollback bookkeeping.
#include <gtest/gtest.h>

#include "agent/config.h"
#include "agent/rollback.h"
#include "base/file.h"

namespace hull::agent {
namespace {

TEST(UpdateConfig, RoundTripsThroughJson) {
  UpdateConfig c;
  c.repository = "http://10.0.2.2:8080/repo/";
  c.channel = "beta";
  c.automatic = false;
  c.boot_tries = 1;
  c.health_units = {"containerd.service", "kubelet.service"};
  c.event_console = "/dev/ttyS0";
  auto back = ParseConfig(ToJson(c).dump(), "u.json");
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->repository, c.repository);
  EXPECT_EQ(back->trusted_root, kFactoryRoot);
  EXPECT_EQ(back->channel, "beta");
  EXPECT_FALSE(back->automatic);
  EXPECT_EQ(back->boot_tries, 1u);
  EXPECT_EQ(back->health_units, c.health_units);
  EXPECT_EQ(back->event_console, "/dev/ttyS0");
}

TEST(UpdateConfig, EmptyObjectTakesDefaults) {
  auto c = ParseConfig("{}", "u.json");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->automatic);
  EXPECT_EQ(c->boot_tries, 3u);
  EXPECT_EQ(c->health_units, std::vector<std::string>{"containerd.service"});
}

TEST(UpdateConfig, RefusesWhatItDoesNotKnow) {
  auto expect = [](const char* text, const char* message) {
    auto c = ParseConfig(text, "u.json");
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(c.error().message(), message) << text;
  };
  expect("[]", "u.json: not a JSON object");
  expect("{", "u.json: not a JSON object");
  expect(R"({"repo": "x"})",
         "u.json: unknown key 'repo' (allowed: repository, trusted_root, channel, "
         "upgrade_channel, boot_tries, health_units, event_console)");
  expect(R"({"repository": 1})", "u.json: 'repository' must be a string");
  expect(R"({"upgrade_channel": "SecurityPatch"})",
         "u.json: upgrade_channel 'SecurityPatch' (allowed: NodeImage, None)");
  expect(R"({"boot_tries": 0})", "u.json: 'boot_tries' must be a number from 1 to 9");
  expect(R"({"boot_tries": -1})", "u.json: 'boot_tries' must be a number from 1 to 9");
  expect(R"({"health_units": ["a b"]})", "u.json: 'health_units' entries must be unit names");
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
