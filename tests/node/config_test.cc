// The update configuration codec (node/config.h).
#include "node/config.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::node {
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
  ASSERT_OK(back);
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
  ASSERT_OK(c);
  EXPECT_TRUE(c->automatic);
  EXPECT_EQ(c->boot_tries, 3u);
  EXPECT_EQ(c->health_units, std::vector<std::string>{"containerd.service"});
}

TEST(UpdateConfig, RefusesWhatItDoesNotKnow) {
  auto expect = [](const char* text, const char* message) {
    auto c = ParseConfig(text, "u.json");
    ASSERT_ERROR(c, ErrorCode::kInvalidArgument) << text;
    EXPECT_EQ(c.error().message(), message) << text;
  };
  expect("[]", "u.json: not a JSON object");
  expect("{", "u.json: not a JSON object");
  expect(R"({"repo": "x"})",
         "u.json: unknown key 'repo' (allowed: repository, trusted_root, channel, "
         "upgrade_channel, boot_tries, health_units, event_console, fleetlock, sysexts)");
  expect(R"({"repository": 1})", "u.json: 'repository' must be a string");
  expect(R"({"upgrade_channel": "SecurityPatch"})",
         "u.json: upgrade_channel 'SecurityPatch' (allowed: NodeImage, None)");
  expect(R"({"boot_tries": 0})", "u.json: 'boot_tries' must be a number from 1 to 9");
  expect(R"({"boot_tries": -1})", "u.json: 'boot_tries' must be a number from 1 to 9");
  expect(R"({"health_units": ["a b"]})", "u.json: 'health_units' entries must be unit names");
  expect(R"({"sysexts": "cni"})", "u.json: 'sysexts' must be a list of at most 32 extension names");
  expect(R"({"sysexts": ["cni_1"]})",
         "u.json: 'sysexts' entry \"cni_1\" is not an extension name (lower-case letters, digits, "
         "'.', '-')");
  expect(R"({"sysexts": [1]})",
         "u.json: 'sysexts' entry 1 is not an extension name (lower-case letters, digits, '.', "
         "'-')");
  expect(R"({"sysexts": ["cni", "cni"]})", "u.json: 'sysexts' names 'cni' twice");
}

TEST(UpdateConfig, SysextsRoundTripAndDefaultToNone) {
  auto none = ParseConfig("{}", "u.json");
  ASSERT_OK(none);
  EXPECT_TRUE(none->sysexts.empty());
  UpdateConfig c;
  c.sysexts = {"cni", "kubelet"};
  auto back = ParseConfig(ToJson(c).dump(), "u.json");
  ASSERT_OK(back);
  EXPECT_EQ(back->sysexts, (std::vector<std::string>{"cni", "kubelet"}));
}

TEST(UpdateConfig, FleetLockRoundTripsAndDefaultsToNone) {
  auto none = ParseConfig("{}", "u.json");
  ASSERT_OK(none);
  EXPECT_FALSE(none->fleetlock.enabled());
  UpdateConfig c;
  c.fleetlock = {.url = "https://fleetlock.example:8443/",
                 .group = "workers-a",
                 .ca = "/etc/hull/fleetlock-ca.pem",
                 .cert = "/etc/hull/node.pem",
                 .key = "/etc/hull/node.key"};
  auto back = ParseConfig(ToJson(c).dump(), "u.json");
  ASSERT_OK(back);
  EXPECT_TRUE(back->fleetlock.enabled());
  EXPECT_EQ(back->fleetlock.url, "https://fleetlock.example:8443/");
  EXPECT_EQ(back->fleetlock.group, "workers-a");
  EXPECT_EQ(back->fleetlock.ca, "/etc/hull/fleetlock-ca.pem");
  EXPECT_EQ(back->fleetlock.cert, "/etc/hull/node.pem");
  EXPECT_EQ(back->fleetlock.key, "/etc/hull/node.key");
  auto only_url = ParseConfig(R"({"fleetlock": {"url": "http://127.0.0.1:9000"}})", "u.json");
  ASSERT_OK(only_url);
  EXPECT_EQ(only_url->fleetlock.group, "default");
}

TEST(UpdateConfig, FleetLockRefusesBadValues) {
  auto expect = [](const char* text, const char* message) {
    auto c = ParseConfig(text, "u.json");
    ASSERT_ERROR(c, ErrorCode::kInvalidArgument) << text;
    EXPECT_EQ(c.error().message(), message) << text;
  };
  expect(R"({"fleetlock": "http://x"})", "u.json: 'fleetlock' must be an object {url, group}");
  expect(R"({"fleetlock": {"uri": "http://x"}})",
         "u.json: unknown key 'fleetlock.uri' (allowed: url, group, ca, cert, key)");
  expect(R"({"fleetlock": {"url": "https://x", "ca": "ca.pem"}})",
         "u.json: 'fleetlock.ca' 'ca.pem' must be an absolute path");
  expect(R"({"fleetlock": {"url": "https://x", "cert": "/etc/hull/node.pem"}})",
         "u.json: 'fleetlock.cert' and 'fleetlock.key' go together (a client certificate and its "
         "key)");
  expect(R"({"fleetlock": {"url": "ftp://x"}})",
         "u.json: 'fleetlock.url' 'ftp://x' must be an http:// or https:// URL (or empty for no "
         "reboot coordination)");
  expect(R"({"fleetlock": {"url": "http://x", "group": "a b"}})",
         "u.json: 'fleetlock.group' 'a b' must match [a-zA-Z0-9.-]+");
  expect(R"({"fleetlock": {"url": "http://x", "group": ""}})",
         "u.json: 'fleetlock.group' '' must match [a-zA-Z0-9.-]+");
}

}  // namespace
}  // namespace hull::node
