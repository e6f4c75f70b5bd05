// `hull-agent status` (agent/status.h): refusals are shown as the running
// image judges them.
#include "agent/status.h"

#include <gtest/gtest.h>

namespace hull::agent {
namespace {

const std::string kRunning(64, 'a');
const std::string kOther(64, 'b');

StatusInput Input(const std::string& refused_under) {
  StatusInput in;
  in.node = {.usrhash = kRunning, .version = "202612.01.0", .disk = "/dev/vda"};
  in.state.refused = {{"202612.08.0", std::string(64, 'c'), "signed by a certificate not trusted"}};
  in.state.refused_under = refused_under;
  in.now = 1764900000;
  return in;
}

TEST(Status, ShowsTheRefusalsOfTheRunningImage) {
  StatusInput in = Input(kRunning);
  nlohmann::json j = StatusJson(in);
  ASSERT_EQ(j["refused"].size(), 1u) << j.dump(2);
  EXPECT_EQ(j["refused"][0]["version"], "202612.08.0");
  EXPECT_EQ(j["refused"][0]["reason"], "signed by a certificate not trusted");
  EXPECT_NE(StatusText(in).find("Refused 202612.08.0 (not downloaded again): signed by a "
                                "certificate not trusted\n"),
            std::string::npos)
      << StatusText(in);
}

// Recorded by the image before an update (another usrhash): the next run
// judges that release again (its trust set may now hold the signer), so
// status does not call it refused.
TEST(Status, RefusalsUnderAnotherImageAreNotCurrent) {
  for (const std::string& under : {kOther, std::string()}) {
    StatusInput in = Input(under);
    nlohmann::json j = StatusJson(in);
    EXPECT_TRUE(j["refused"].is_array());
    EXPECT_TRUE(j["refused"].empty()) << j.dump(2);
    EXPECT_EQ(StatusText(in).find("Refused"), std::string::npos) << StatusText(in);
  }
}

TEST(Status, TextNamesTheRunningImageAndTheRefresh) {
  StatusInput in = Input(kRunning);
  in.bad_versions = {"202611.24.0"};
  in.state.last_refresh = 1764900000 - 60;
  in.state.last_check = {"up-to-date", "202612.01.0", "202612.01.0", ""};
  std::string t = StatusText(in);
  EXPECT_EQ(t.rfind("Running 202612.01.0 (root hash " + kRunning + ") from /dev/vda\n", 0), 0u)
      << t;
  EXPECT_NE(t.find("Bad versions (never installed again): 202611.24.0\n"), std::string::npos);
  EXPECT_NE(t.find("Repository: last refreshed 2025-12-05T01:59:00Z, 60 s ago\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("Last update run: up-to-date (channel's newest: 202612.01.0)\n"),
            std::string::npos)
      << t;
}

// A failed extension update: one line (name, version, reason) and an entry
// of the JSON, as the running image judges it.
TEST(Status, NamesAFailedExtensionUpdate) {
  StatusInput in = Input(kRunning);
  in.state.extension_failures = {
      {"cni", "1.2", std::string(64, 'd'), "extension cni: signed by certificate x", true},
      {"probe", "2", "", "fetching hull-sysext-probe-amd64-2.raw: timed out", false}};
  const std::string t = StatusText(in);
  EXPECT_NE(t.find("Extension update failed: cni 1.2: extension cni: signed by certificate x "
                   "(refused: not tried again until other bytes are published)\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("Extension update failed: probe 2: fetching hull-sysext-probe-amd64-2.raw: "
                   "timed out (tried again at the next run)\n"),
            std::string::npos)
      << t;
  nlohmann::json j = StatusJson(in);
  ASSERT_EQ(j["extension_failures"].size(), 2u) << j.dump(2);
  EXPECT_EQ(j["extension_failures"][0],
            (nlohmann::json{{"name", "cni"},
                            {"version", "1.2"},
                            {"sha256", std::string(64, 'd')},
                            {"reason", "extension cni: signed by certificate x"},
                            {"refused", true}}));
  // Recorded under another image: not current.
  in.state.refused_under = kOther;
  EXPECT_TRUE(StatusJson(in)["extension_failures"].empty());
  EXPECT_EQ(StatusText(in).find("Extension update failed"), std::string::npos);
}

}  // namespace
}  // namespace hull::agent
