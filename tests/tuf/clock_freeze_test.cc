// Clock floor (issue 16 item 9) and freezes (item 6): what the client takes
// as now, and that missing metadata is an error, never "nothing new".
#include <gtest/gtest.h>

#include "base/file.h"
#include "tuf/client.h"
#include "tuf/repository.h"

namespace hull::tuf {
namespace {

constexpr int64_t kT0 = 1800000000;  // the writer's now
constexpr int64_t kDay = 86400;
int64_t WriterClock() { return kT0; }

class ClockFreeze : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::Create("hull-tuf-clock");
    ASSERT_TRUE(d.ok());
    dir_ = std::make_unique<TempDir>(std::move(*d));
    repo_ = dir_->path() + "/repo";
    state_ = dir_->path() + "/state";
    auto keys = RoleKeySet::Load(dir_->path() + "/keys", true);
    ASSERT_TRUE(keys.ok());
    keys_ = std::move(*keys);
    ASSERT_TRUE(Repository::Init(repo_, keys_, {}, WriterClock).ok());
    root_ = *ReadFileBytes(repo_ + "/1.root.json");
  }

  Status Refresh(int64_t now, int64_t floor = 0, std::unique_ptr<Fetcher> f = nullptr) {
    ClientOptions o;
    o.state_dir = state_;
    o.clock = [now] { return now; };
    o.clock_floor = floor;
    auto c = Client::Create(f ? std::move(f) : MakeFetcher(repo_), root_, std::move(o));
    if (!c.ok()) return std::move(c).error();
    return c->Refresh();
  }

  std::unique_ptr<TempDir> dir_;
  std::string repo_, state_;
  RoleKeySet keys_;
  Bytes root_;
};

TEST_F(ClockFreeze, FloorFromTheCallerMakesExpiredMetadataExpired) {
  // The timestamp lives one day. A clock set back to before it expired, but a
  // floor (the image's build time) after: refused.
  EXPECT_TRUE(Refresh(kT0 + 60).ok());
  std::filesystem::remove_all(state_);
  auto st = Refresh(kT0 + 60, /*floor=*/kT0 + 2 * kDay);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kExpired);
}

TEST_F(ClockFreeze, LatestAcceptedTimePersistsAsAFloor) {
  // Accepted at T0 + 20 h; the clock then goes back to T0. The repository is
  // refreshed with metadata that expires at T0 + 10 h (fresh versions, so
  // nothing else refuses it): the client must still believe T0 + 20 h.
  ASSERT_TRUE(Refresh(kT0 + 20 * 3600).ok());
  EXPECT_EQ(*ReadFileText(state_ + "/latest_known_time", 64),
            std::to_string(kT0 + 20 * 3600) + "\n");
  Expiry short_lived;
  short_lived.timestamp = 10 * 3600;
  ASSERT_TRUE(Repository::RefreshTimestamp(repo_, keys_, short_lived, WriterClock).ok());
  auto st = Refresh(kT0);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kExpired);
  // Without the persisted floor the same metadata passes at T0.
  std::filesystem::remove(state_ + "/latest_known_time");
  EXPECT_TRUE(Refresh(kT0).ok());
}

TEST_F(ClockFreeze, DamagedLatestKnownTimeIsAnErrorNotZero) {
  ASSERT_TRUE(Refresh(kT0 + 60).ok());
  // Garbage, and a value beyond int64_t that wrapped to a small floor before.
  for (const char* text : {"garbage\n", "99999999999999999999\n", "18446744073709551616\n"}) {
    ASSERT_TRUE(WriteFileAtomic(state_ + "/latest_known_time", std::string(text)).ok());
    auto st = Refresh(kT0 + 60);
    ASSERT_FALSE(st.ok()) << text;
    EXPECT_EQ(st.error().code(), ErrorCode::kCorrupt) << text;
    EXPECT_NE(st.error().ToString().find("latest_known_time"), std::string::npos)
        << st.error().ToString();
  }
}

TEST_F(ClockFreeze, MissingTimestampIsUnavailableNotNotFound) {
  std::filesystem::remove(repo_ + "/timestamp.json");
  auto st = Refresh(kT0 + 60);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kUnavailable) << st.error().ToString();
}

TEST_F(ClockFreeze, MissingSnapshotOrTargetsIsUnavailable) {
  for (const char* file : {"/1.snapshot.json", "/1.targets.json"}) {
    ASSERT_TRUE(std::filesystem::remove(repo_ + file)) << file;
    std::filesystem::remove_all(state_);
    auto st = Refresh(kT0 + 60);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code(), ErrorCode::kUnavailable) << file;
  }
}

// A repository behind a private bucket: every absent file answers 403.
class ForbiddenWhenAbsent : public Fetcher {
 public:
  explicit ForbiddenWhenAbsent(std::string dir) : inner_(MakeFetcher(dir)) {}
  Status FetchTo(const std::string& path, uint64_t max, const Sink& sink) override {
    Status st = inner_->FetchTo(path, max, sink);
    if (!st.ok() && st.error().code() == ErrorCode::kNotFound) {
      return Error(ErrorCode::kRefused, path + ": forbidden (HTTP 403)");
    }
    return st;
  }

 private:
  std::unique_ptr<Fetcher> inner_;
};

TEST_F(ClockFreeze, A403OnTheNextRootEndsTheRootUpdate) {
  auto st = Refresh(kT0 + 60, 0, std::make_unique<ForbiddenWhenAbsent>(repo_));
  EXPECT_TRUE(st.ok()) << st.error().ToString();
  // ... but a 403 on the timestamp is still a freeze.
  std::filesystem::remove(repo_ + "/timestamp.json");
  st = Refresh(kT0 + 60, 0, std::make_unique<ForbiddenWhenAbsent>(repo_));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kUnavailable);
}

TEST_F(ClockFreeze, TargetNamedButAbsentIsUnavailable) {
  ASSERT_TRUE(WriteFileAtomic(dir_->path() + "/p", "payload").ok());
  ASSERT_TRUE(Repository::AddTarget(repo_, keys_, dir_->path() + "/p", "p.raw",
                                    nlohmann::json::object(), {}, WriterClock)
                  .ok());
  ClientOptions o;
  o.clock = [] { return kT0 + 60; };
  auto c = Client::Create(MakeFetcher(repo_), root_, std::move(o));
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->Refresh().ok());
  auto path = c->TargetPath("p.raw");
  ASSERT_TRUE(path.ok());
  ASSERT_TRUE(std::filesystem::remove(repo_ + "/" + *path));
  EXPECT_EQ(c->FetchTarget("p.raw").error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(c->FetchTarget("nope").error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace hull::tuf
