// The install seed (docs/iso.md "The seed"): its strict parser (each field's
// refusal names the field), the choice of the target disk (absent and
// ambiguous targets refused), and the files the installed node's /etc
// receives, written from the format the doc gives.
#include "agent/seed.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::agent {
namespace {

using ::hull::testing::ErrorIs;
using ::testing::HasSubstr;

constexpr const char* kKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2o3 ops@example";

TEST(Seed, ParsesEveryField) {
  ASSERT_OK_AND_ASSIGN(Seed s,
                       ParseSeed(R"({"hull_seed": 1, "target": "serial:DISK-2", "wipe": true,
        "after": "reboot",
        "update": {"repository": "https://updates.example/hull", "fleetlock": {"url": "http://fl:8080"}},
        "users": [{"name": "ops", "ssh_authorized_keys": [")" +
                                 std::string(kKey) + R"("]}]})"));
  EXPECT_EQ(s.target.kind, SeedTarget::Kind::kSerial);
  EXPECT_EQ(s.target.value, "DISK-2");
  EXPECT_TRUE(s.wipe);
  EXPECT_EQ(s.after, AfterInstall::kReboot);
  EXPECT_EQ(s.update["repository"], "https://updates.example/hull");
  ASSERT_EQ(s.users.size(), 1u);
  EXPECT_EQ(s.users[0].name, "ops");
  EXPECT_EQ(s.users[0].ssh_authorized_keys, std::vector<std::string>{kKey});
}

TEST(Seed, DefaultsArePowerOffAndNoWipe) {
  ASSERT_OK_AND_ASSIGN(Seed s, ParseSeed(R"({"hull_seed": 1, "target": "empty"})"));
  EXPECT_EQ(s.target.kind, SeedTarget::Kind::kEmpty);
  EXPECT_FALSE(s.wipe);
  EXPECT_EQ(s.after, AfterInstall::kPowerOff);
  EXPECT_TRUE(s.update.empty());
  EXPECT_TRUE(s.users.empty());
  ASSERT_OK_AND_ASSIGN(Seed p, ParseSeed(R"({"hull_seed": 1, "target": "/dev/disk/by-id/x"})"));
  EXPECT_EQ(p.target.kind, SeedTarget::Kind::kPath);
  EXPECT_EQ(p.target.value, "/dev/disk/by-id/x");
}

// One row per refusal: the seed, and the start of the one line naming the field.
TEST(Seed, RefusesEachBadFieldByName) {
  const std::pair<std::string, std::string> rows[] = {
      {"", "seed: not valid JSON"},
      {"[1]", "seed: not a JSON object"},
      {R"({"hull_seed": 1, "target": "empty"} x)", "seed: not valid JSON"},
      {R"({"target": "empty"})", "seed: 'hull_seed': must be 1"},
      {R"({"hull_seed": 2, "target": "empty"})", "seed: 'hull_seed': must be 1"},
      {R"({"hull_seed": "1", "target": "empty"})", "seed: 'hull_seed': must be 1"},
      {R"({"hull_seed": 1})", "seed: 'target': missing"},
      {R"({"hull_seed": 1, "target": "sda"})", "seed: 'target': 'sda' is not a target"},
      {R"({"hull_seed": 1, "target": "serial:"})", "seed: 'target': 'serial:' is not a target"},
      {R"({"hull_seed": 1, "target": "serial:a b"})", "seed: 'target': 'serial:a b' is not"},
      {R"({"hull_seed": 1, "target": "/dev/../etc/x"})", "seed: 'target': '/dev/../etc/x' is not"},
      {R"({"hull_seed": 1, "target": 3})", "seed: 'target': must be a string"},
      {R"({"hull_seed": 1, "target": "empty", "wipe": "yes"})", "seed: 'wipe': must be true"},
      {R"({"hull_seed": 1, "target": "empty", "after": "halt"})", "seed: 'after': must be"},
      {R"({"hull_seed": 1, "target": "empty", "extra": 1})", "seed: 'extra': unknown key"},
      {R"({"hull_seed": 1, "target": "empty", "target": "/dev/vdb"})",
       "seed: 'target': given twice"},
      {R"({"hull_seed": 1, "target": "empty", "update": []})", "seed: 'update': must be an object"},
      {R"({"hull_seed": 1, "target": "empty", "update": {"repo": "x"}})",
       "seed: 'update': unknown key 'repo'"},
      {R"({"hull_seed": 1, "target": "empty", "update": {"boot_tries": 0}})",
       "seed: 'update': 'boot_tries' must be"},
      {R"({"hull_seed": 1, "target": "empty", "update": {"fleetlock": {"url": "ftp://x"}}})",
       "seed: 'update': 'fleetlock.url' 'ftp://x' must be"},
      {R"({"hull_seed": 1, "target": "empty", "users": {}})", "seed: 'users': must be a list"},
      {R"({"hull_seed": 1, "target": "empty", "users": [{"name": "root"}]})",
       "seed: 'users[0].name': must be a user name"},
      {R"({"hull_seed": 1, "target": "empty", "users": [{"name": "a"}, {"name": "a"}]})",
       "seed: 'users[1].name': names a user twice"},
      {R"({"hull_seed": 1, "target": "empty", "users": [{"name": "a", "shell": "x"}]})",
       "seed: 'users[0].shell': unknown key"},
      {R"({"hull_seed": 1, "target": "empty", "users": [{"name": "a", "ssh_authorized_keys": ["rsa x"]}]})",
       "seed: 'users[0].ssh_authorized_keys[0]': not an SSH public key"},
      {R"({"hull_seed": 1, "target": "empty", "users": [{"name": "a", "ssh_authorized_keys": ["ssh-rsa a\nb"]}]})",
       "seed: 'users[0].ssh_authorized_keys[0]': not an SSH public key"},
  };
  for (const auto& [text, want] : rows) {
    auto s = ParseSeed(text);
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument) << text;
    EXPECT_TRUE(s.error().ToString().starts_with(want)) << text << "\n" << s.error().ToString();
    EXPECT_EQ(s.error().ToString().find('\n'), std::string::npos) << s.error().ToString();
  }
}

TEST(Seed, RefusesASeedLargerThanTheCap) {
  std::string big = R"({"hull_seed": 1, "target": "empty", "users": [)";
  big += std::string(kMaxSeedBytes, ' ') + "]}";
  EXPECT_THAT(ParseSeed(big), ErrorIs(ErrorCode::kInvalidArgument, HasSubstr("more than the")));
}

TEST(Seed, TextEndsAtTheFirstNul) {
  std::string bytes = std::string(R"({"hull_seed": 1, "target": "empty"})") + '\0' + "junk";
  ASSERT_OK_AND_ASSIGN(std::string_view t, SeedText(bytes));
  EXPECT_EQ(t, R"({"hull_seed": 1, "target": "empty"})");
  EXPECT_THAT(SeedText(std::string(512, '\0')),
              ErrorIs(ErrorCode::kInvalidArgument, HasSubstr("hull-seed partition is empty")));
}

std::vector<SeedDisk> Disks() {
  return {
      {.path = "/dev/sr0", .serial = "QM1", .bytes = 500 << 20, .read_only = true, .medium = true},
      {.path = "/dev/vda", .serial = "SEED", .bytes = 2 << 20, .holds_data = true, .seed = true},
      {.path = "/dev/vdb", .serial = "OLD", .bytes = 8ull << 30, .holds_data = true},
      {.path = "/dev/vdc", .serial = "NEW", .bytes = 8ull << 30}};
}

TEST(Seed, EmptyChoosesTheOneDiskHoldingNoData) {
  ASSERT_OK_AND_ASSIGN(SeedDisk d, ChooseTarget(SeedTarget{}, Disks()));
  EXPECT_EQ(d.path, "/dev/vdc");
}

TEST(Seed, EmptyRefusesNoneAndTwo) {
  auto disks = Disks();
  disks.pop_back();
  EXPECT_THAT(ChooseTarget(SeedTarget{}, disks),
              ErrorIs(ErrorCode::kRefused, HasSubstr("seed: 'target' empty: no empty disk (disks: "
                                                     "/dev/sr0 serial QM1 (install medium)")));
  disks = Disks();
  disks.push_back({.path = "/dev/vdd", .serial = "", .bytes = 8ull << 30});
  EXPECT_THAT(ChooseTarget(SeedTarget{}, disks),
              ErrorIs(ErrorCode::kRefused,
                      HasSubstr("2 disks match (disks: /dev/vdc serial NEW, /dev/vdd): name one")));
}

TEST(Seed, SerialAndPathNameOneDisk) {
  ASSERT_OK_AND_ASSIGN(SeedDisk d,
                       ChooseTarget({.kind = SeedTarget::Kind::kSerial, .value = "OLD"}, Disks()));
  EXPECT_EQ(d.path, "/dev/vdb");  // holding data: the plan refuses it unless the seed wipes
  ASSERT_OK_AND_ASSIGN(
      d, ChooseTarget({.kind = SeedTarget::Kind::kPath, .value = "/dev/vdc"}, Disks()));
  EXPECT_EQ(d.serial, "NEW");
  EXPECT_THAT(ChooseTarget({.kind = SeedTarget::Kind::kSerial, .value = "X"}, Disks()),
              ErrorIs(ErrorCode::kRefused, HasSubstr("serial:X: no disk has that serial")));
  EXPECT_THAT(ChooseTarget({.kind = SeedTarget::Kind::kPath, .value = "/dev/vdz"}, Disks()),
              ErrorIs(ErrorCode::kRefused, HasSubstr("/dev/vdz: no such disk")));
  auto twins = Disks();
  twins[3].serial = "OLD";
  EXPECT_THAT(ChooseTarget({.kind = SeedTarget::Kind::kSerial, .value = "OLD"}, twins),
              ErrorIs(ErrorCode::kRefused, HasSubstr("2 disks match")));
}

TEST(Seed, NeverTheMediumTheSeedOrAReadOnlyDisk) {
  EXPECT_THAT(ChooseTarget({.kind = SeedTarget::Kind::kSerial, .value = "QM1"}, Disks()),
              ErrorIs(ErrorCode::kRefused, HasSubstr("/dev/sr0 holds the install medium")));
  EXPECT_THAT(ChooseTarget({.kind = SeedTarget::Kind::kPath, .value = "/dev/vda"}, Disks()),
              ErrorIs(ErrorCode::kRefused, HasSubstr("/dev/vda holds the seed")));
  auto ro = Disks();
  ro[3].read_only = true;
  EXPECT_THAT(ChooseTarget({.kind = SeedTarget::Kind::kSerial, .value = "NEW"}, ro),
              ErrorIs(ErrorCode::kRefused, HasSubstr("/dev/vdc is read-only")));
}

TEST(Seed, FilesLayTheUpdateKeysOverTheImagesAndCreateTheUsers) {
  ASSERT_OK_AND_ASSIGN(Seed s, ParseSeed(R"({"hull_seed": 1, "target": "empty",
        "update": {"repository": "https://r.example/hull", "fleetlock": {"url": "http://fl:8080"}},
        "users": [{"name": "ops", "ssh_authorized_keys": [")" +
                                         std::string(kKey) + R"("]}]})"));
  node::UpdateConfig image;
  image.channel = "beta";
  image.boot_tries = 2;
  image.fleetlock.group = "workers";
  ASSERT_OK_AND_ASSIGN(auto files, SeedFiles(s, image));
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].path, "/etc/hull/update.json");
  ASSERT_OK_AND_ASSIGN(node::UpdateConfig c, node::ParseConfig(files[0].text, "out"));
  EXPECT_EQ(c.repository, "https://r.example/hull");
  EXPECT_EQ(c.channel, "beta");  // the image's, kept
  EXPECT_EQ(c.boot_tries, 2u);
  EXPECT_EQ(c.fleetlock.url, "http://fl:8080");
  EXPECT_EQ(c.fleetlock.group, "workers");  // an object is merged key by key
  EXPECT_EQ(files[1].path, "/etc/sysusers.d/hull-seed-users.conf");
  EXPECT_EQ(files[1].text,
            "# Written by hull from the install seed's users.\n"
            "u ops - \"ops\" /home/ops /bin/bash\n");
  EXPECT_EQ(files[2].path, "/etc/tmpfiles.d/hull-seed-users.conf");
  EXPECT_EQ(files[2].text,
            "# Written by hull from the install seed's users.\n"
            "d /home/ops 0700 ops ops -\n"
            "d /home/ops/.ssh 0700 ops ops -\n"
            "f+ /home/ops/.ssh/authorized_keys 0600 ops ops - " +
                std::string(kKey) + "\\n\n");
}

TEST(Seed, NoFilesForASeedWithoutConfiguration) {
  ASSERT_OK_AND_ASSIGN(Seed s, ParseSeed(R"({"hull_seed": 1, "target": "empty"})"));
  ASSERT_OK_AND_ASSIGN(auto files, SeedFiles(s, node::UpdateConfig{}));
  EXPECT_TRUE(files.empty());
}

TEST(Seed, AMergedConfigurationThatIsNotValidIsRefused) {
  // Valid alone; over an image whose FleetLock has a client certificate and
  // key, it leaves the certificate without its key.
  ASSERT_OK_AND_ASSIGN(
      Seed s,
      ParseSeed(R"({"hull_seed": 1, "target": "empty", "update": {"fleetlock": {"key": ""}}})"));
  node::UpdateConfig image;
  image.fleetlock = {
      .url = "https://fl", .group = "default", .ca = "", .cert = "/c.pem", .key = "/k.pem"};
  EXPECT_THAT(SeedFiles(s, image),
              ErrorIs(ErrorCode::kInvalidArgument,
                      HasSubstr("seed: 'update' over the image's: 'fleetlock.cert' and "
                                "'fleetlock.key' go together")));
}

}  // namespace
}  // namespace hull::agent
