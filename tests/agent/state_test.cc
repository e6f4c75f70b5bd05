// The agent's state file (agent/state.h): what it keeps, and that a damaged
// file is an error naming it.
#include "agent/state.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "agent/downloads.h"
#include "base/file.h"
#include "support/status_matchers.h"

namespace hull::agent {
namespace {

TEST(AgentState, RoundTripsThroughTheFile) {
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::Create("hull-agent-state"));
  const std::string path = dir.path() + "/agent.json";
  ASSERT_OK_AND_ASSIGN(AgentState empty, LoadAgentState(path));
  EXPECT_TRUE(empty.rebooted_into.empty());
  EXPECT_TRUE(empty.refused.empty());
  AgentState s;
  s.rebooted_into = "hull_202612.08.0+3.efi";
  s.refused = {{"202612.08.0", "ab12", "usr image needs 9 bytes"}};
  s.last_check = {"ahead-of-channel", "202612.08.0", "202612.01.0", "never downgrades"};
  ASSERT_OK(SaveAgentState(path, s));
  ASSERT_OK_AND_ASSIGN(AgentState back, LoadAgentState(path));
  EXPECT_EQ(back.rebooted_into, s.rebooted_into);
  ASSERT_EQ(back.refused.size(), 1u);
  EXPECT_EQ(back.refused[0].version, "202612.08.0");
  EXPECT_EQ(back.refused[0].root_hash, "ab12");
  EXPECT_EQ(back.refused[0].reason, "usr image needs 9 bytes");
  EXPECT_EQ(back.last_check.outcome, "ahead-of-channel");
  EXPECT_EQ(back.last_check.newest, "202612.01.0");
  EXPECT_EQ(back.last_refresh, 0);
  s.last_refresh = 1764900000;
  ASSERT_OK(SaveAgentState(path, s));
  ASSERT_OK_AND_ASSIGN(back, LoadAgentState(path));
  EXPECT_EQ(back.last_refresh, 1764900000);
}

// Reasons quote bytes from the network (a server's header) and the disk:
// invalid UTF-8 is saved replaced, never an exception that aborts the agent.
TEST(AgentState, InvalidUtf8InAReasonIsSaved) {
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::Create("hull-agent-state"));
  const std::string path = dir.path() + "/agent.json";
  AgentState s;
  s.last_check = {"error", "202612.08.0", "", "bad Location '\xff\xfe'"};
  s.refused = {{"202612.09.0", "ab12", "version '\xc3' differs"}};
  ASSERT_OK(SaveAgentState(path, s));
  ASSERT_OK_AND_ASSIGN(AgentState back, LoadAgentState(path));
  EXPECT_EQ(back.last_check.detail, "bad Location '\xef\xbf\xbd\xef\xbf\xbd'");
  ASSERT_EQ(back.refused.size(), 1u);
  EXPECT_EQ(back.refused[0].reason, "version '\xef\xbf\xbd' differs");
}

// A node on N-1 trusting only key A refuses N+1 (signed by B); once it runs
// N, whose trust set adds B, N+1 must be tried again (docs/update.md, key
// rotation without a flag day), while N's own refusals stay.
TEST(AgentState, RefusalsOfAnotherImageAreForgotten) {
  AgentState s;
  KeepRefusalsOf(s, "aaaa");
  s.refused = {{"202612.09.0", "ab12", "signed by a certificate not in the trust set"}};
  KeepRefusalsOf(s, "aaaa");
  EXPECT_EQ(s.refused.size(), 1u);
  KeepRefusalsOf(s, "bbbb");
  EXPECT_TRUE(s.refused.empty());
  EXPECT_EQ(s.refused_under, "bbbb");
  ASSERT_OK_AND_ASSIGN(AgentState back, ParseAgentState(AgentStateText(s), "agent.json"));
  EXPECT_EQ(back.refused_under, "bbbb");
}

// An extension's failed update is remembered (one per name), strictly read
// back, forgotten on its success and under another image (a trust set that
// may now hold the signer).
TEST(AgentState, ExtensionFailuresRoundTripAndAreForgotten) {
  AgentState s;
  KeepRefusalsOf(s, "aaaa");
  RecordExtensionFailure(s, {"cni", "1.2", std::string(64, 'd'), "signed by x", true});
  RecordExtensionFailure(s, {"probe", "2", "", "fetching: timed out", false});
  RecordExtensionFailure(s, {"cni", "1.3", std::string(64, 'e'), "bad tree", true});
  ASSERT_OK_AND_ASSIGN(AgentState back, ParseAgentState(AgentStateText(s), "agent.json"));
  ASSERT_EQ(back.extension_failures.size(), 2u);
  EXPECT_EQ(back.extension_failures[0].name, "probe");
  EXPECT_FALSE(back.extension_failures[0].refused);
  EXPECT_EQ(back.extension_failures[1].version, "1.3");
  EXPECT_TRUE(ExtensionRefused(back, "cni", "1.3", std::string(64, 'e')));
  EXPECT_FALSE(ExtensionRefused(back, "cni", "1.2", std::string(64, 'd')));  // replaced
  EXPECT_FALSE(ExtensionRefused(back, "probe", "2", ""));                    // not the bytes'
  ClearExtensionFailure(back, "probe");
  EXPECT_EQ(back.extension_failures.size(), 1u);
  KeepRefusalsOf(back, "aaaa");
  EXPECT_EQ(back.extension_failures.size(), 1u);
  KeepRefusalsOf(back, "bbbb");
  EXPECT_TRUE(back.extension_failures.empty());
  for (
      const char* bad : {
          R"({"extension_failures": {}})",
          R"({"extension_failures": [1]})",
          R"({"extension_failures": [{"name": "cni", "version": "1", "sha256": "", "reason": ""}]})",
          R"({"extension_failures": [{"name": "", "version": "1", "sha256": "", "reason": "",
               "refused": true}]})",
          R"({"extension_failures": [{"name": "cni", "version": 1, "sha256": "", "reason": "",
               "refused": true}]})",
          R"({"extension_failures": [{"name": "cni", "version": "1", "sha256": "", "reason": "",
               "refused": "yes"}]})",
          R"({"extension_failures": [{"name": "cni", "version": "1", "sha256": "", "reason": "",
               "refused": true, "when": 1}]})",
      }) {
    auto r = ParseAgentState(bad, "a.json");
    ASSERT_ERROR(r, ErrorCode::kCorrupt) << bad;
    EXPECT_NE(r.error().ToString().find("extension_failures"), std::string::npos)
        << r.error().ToString();
  }
}

// 1764900000 is 2025-12-05T02:00:00Z (`date -u -d @1764900000`).
TEST(AgentState, RefreshAgeIsSaid) {
  EXPECT_EQ(DescribeRefresh(0, 1764903600), "never refreshed");
  EXPECT_EQ(DescribeRefresh(1764900000, 1764903600),
            "last refreshed 2025-12-05T02:00:00Z, 3600 s ago");
  // A clock set back behind the last refresh: no negative age.
  EXPECT_EQ(DescribeRefresh(1764900000, 1000), "last refreshed 2025-12-05T02:00:00Z, 0 s ago");
}

TEST(AgentState, DamagedFileIsCorrupt) {
  for (const char* text :
       {"", "[]", "{\"rebooted_into\": 3}", "{\"other\": 1}",
        "{\"refused\": [{\"version\": \"\"}]}", "{\"refused\": {}}",
        "{\"last_check\": {\"outcome\": 1}}", "{\"last_refresh\": -1}", "{\"last_refresh\": \"1\"}",
        "{\"last_refresh\": 1.5}", "{\"last_refresh\": 18446744073709551615}"}) {
    auto r = ParseAgentState(text, "/var/lib/hull/agent.json");
    EXPECT_ERROR(r, ErrorCode::kCorrupt) << text;
    if (!r.ok()) {
      EXPECT_EQ(r.error().message().rfind("/var/lib/hull/agent.json: ", 0), 0u);
    }
  }
}

// The FleetLock slot survives the reboot it was taken for (docs/fleetlock.md
// "The agent"): it is in the state file, and an older file has none.
TEST(AgentState, SlotRecordRoundTrips) {
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::Create("hull-agent-state"));
  const std::string path = dir.path() + "/agent.json";
  ASSERT_OK_AND_ASSIGN(AgentState old, ParseAgentState(R"({"rebooted_into": ""})", "a.json"));
  EXPECT_FALSE(old.fleetlock.held);
  AgentState s;
  s.fleetlock = {.held = true,
                 .version = "202612.08.0",
                 .url = "http://fleetlock:8080/",
                 .group = "workers",
                 .since = 1764900000,
                 .halted = "202612.15.0"};
  ASSERT_OK(SaveAgentState(path, s));
  ASSERT_OK_AND_ASSIGN(AgentState back, LoadAgentState(path));
  EXPECT_TRUE(back.fleetlock.held);
  EXPECT_EQ(back.fleetlock.version, "202612.08.0");
  EXPECT_EQ(back.fleetlock.url, "http://fleetlock:8080/");
  EXPECT_EQ(back.fleetlock.group, "workers");
  EXPECT_EQ(back.fleetlock.since, 1764900000);
  EXPECT_EQ(back.fleetlock.halted, "202612.15.0");
  for (const char* text :
       {R"({"fleetlock": []})", R"({"fleetlock": {"version": "x"}})",
        R"({"fleetlock": {"held": "yes"}})", R"({"fleetlock": {"held": true, "since": -1}})",
        R"({"fleetlock": {"held": true, "owner": "x"}})"}) {
    EXPECT_ERROR(ParseAgentState(text, "a.json"), ErrorCode::kCorrupt) << text;
  }
}

TEST(AgentState, RefusalsKeepOnlyWhatCanStillBeChosen) {
  AgentState s;
  AddRefusal(s, {"202612.08.0", "a", "first"}, "202612.01.0");
  AddRefusal(s, {"202612.8.0", "b", "again, spelled otherwise"}, "202612.01.0");
  ASSERT_EQ(s.refused.size(), 1u);
  EXPECT_EQ(s.refused[0].reason, "again, spelled otherwise");
  AddRefusal(s, {"202612.15.0", "c", "newer"}, "202612.01.0");
  EXPECT_EQ(s.refused.size(), 2u);
  // Now running 202612.08.0: its refusal can never matter again.
  AddRefusal(s, {"202612.22.0", "d", "newest"}, "202612.08.0");
  ASSERT_EQ(s.refused.size(), 2u);
  EXPECT_EQ(s.refused[0].version, "202612.22.0");
  EXPECT_EQ(s.refused[1].version, "202612.15.0");
}

// Downloads a killed run left behind go; nothing else does.
TEST(Downloads, SweptAtStart) {
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::Create("hull-agent-sweep"));
  namespace fs = std::filesystem;
  fs::create_directories(dir.path() + "/hull-update-Ab12Cd/sub");
  ASSERT_OK(WriteFileAtomic(dir.path() + "/hull-update-Ab12Cd/sub/usr.erofs", "x"));
  fs::create_directories(dir.path() + "/hull-update-Zz99Yy");
  fs::create_directories(dir.path() + "/other-update-1");
  ASSERT_OK(WriteFileAtomic(dir.path() + "/hull-update-file", "not a directory"));
  ASSERT_OK_AND_ASSIGN(auto removed, SweepDownloads(dir.path(), "hull-update"));
  EXPECT_EQ(removed.size(), 2u);
  EXPECT_FALSE(fs::exists(dir.path() + "/hull-update-Ab12Cd"));
  EXPECT_FALSE(fs::exists(dir.path() + "/hull-update-Zz99Yy"));
  EXPECT_TRUE(fs::exists(dir.path() + "/other-update-1"));
  EXPECT_TRUE(fs::exists(dir.path() + "/hull-update-file"));
  ASSERT_OK_AND_ASSIGN(auto none, SweepDownloads(dir.path() + "/absent", "hull-update"));
  EXPECT_TRUE(none.empty());
}

}  // namespace
}  // namespace hull::agent
