#include <gtest/gtest.h>

#include <filesystem>

#include "base/file.h"
#include "base/hex.h"
#include "crypto/digest.h"
#include "support/status_matchers.h"
#include "tuf/canonical_json.h"
#include "tuf/client.h"
#include "tuf/repository.h"

namespace hull::tuf {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr int64_t kT0 = 1800000000;  // a fixed "now" for the writer
int64_t WriterClock() { return kT0; }

TEST(CanonicalJson, SortsAndEscapesMinimally) {
  json j = json::parse(R"({"b":[1,true,null],"a":"q\"\\\n","c":{"z":1,"y":-2}})");
  EXPECT_EQ(*CanonicalJson(j),
            "{\"a\":\"q\\\"\\\\\n\",\"b\":[1,true,null],\"c\":{\"y\":-2,\"z\":1}}");
  EXPECT_ERROR(CanonicalJson(json(1.5)), ErrorCode::kInvalidArgument);
}

TEST(Metadata, ExpiresRoundTripAndErrors) {
  EXPECT_EQ(*ParseExpires("2030-01-01T00:00:00Z"), 1893456000);
  EXPECT_EQ(FormatExpires(1893456000), "2030-01-01T00:00:00Z");
  EXPECT_ERROR(ParseExpires("2030-01-01 00:00:00"), ErrorCode::kCorrupt);
}

class TufFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::Create("hull-tuf");
    ASSERT_OK(d);
    dir_ = std::make_unique<TempDir>(std::move(d).value());
    repo_ = dir_->path() + "/repo";
    state_ = dir_->path() + "/state";
    auto keys = RoleKeySet::Load(dir_->path() + "/keys", true);
    ASSERT_OK(keys);
    keys_ = std::move(*keys);
    ASSERT_OK(Repository::Init(repo_, keys_, {}, WriterClock));
    AddTarget("image-1.raw", "first image", "202611.24.0");
    trusted_root_ = *ReadFileBytes(repo_ + "/1.root.json");
  }

  void AddTarget(const std::string& name, const std::string& content, const std::string& ver) {
    std::string src = dir_->path() + "/" + name;
    ASSERT_OK(WriteFileAtomic(src, content));
    json custom{{"version", ver}, {"channel", "stable"}};
    auto st = Repository::AddTarget(repo_, keys_, src, name, custom, {}, WriterClock);
    ASSERT_OK(st);
  }

  Result<Client> MakeClient(int64_t now = kT0 + 60) {
    return Client::Create(MakeFetcher(repo_), trusted_root_, state_, [now] { return now; });
  }

  // Refresh with a fresh client; returns the error (or OK).
  Status Refresh(int64_t now = kT0 + 60) {
    auto c = MakeClient(now);
    if (!c.ok()) return std::move(c).error();
    return c->Refresh();
  }

  void ResignTimestamp(const std::function<void(Timestamp&)>& edit,
                       const crypto::PrivateKey* key = nullptr) {
    Bytes b = *ReadFileBytes(repo_ + "/timestamp.json");
    Timestamp t = *ParseTimestamp(ParseEnvelope(b, Role::kTimestamp)->signed_json);
    edit(t);
    Bytes nb = *SignEnvelope(TimestampToJson(t), {key ? key : &keys_.keys[Role::kTimestamp][0]});
    ASSERT_OK(WriteFileAtomic(repo_ + "/timestamp.json", nb));
  }

  std::unique_ptr<TempDir> dir_;
  std::string repo_, state_;
  RoleKeySet keys_;
  Bytes trusted_root_;
};

TEST_F(TufFixture, HappyPathAndTargetDownload) {
  auto c = MakeClient();
  ASSERT_OK(c);
  ASSERT_OK(c->Refresh());
  ASSERT_EQ(c->targets().targets.count("image-1.raw"), 1u);
  EXPECT_EQ(c->targets().targets.at("image-1.raw").custom["version"], "202611.24.0");
  auto data = c->FetchTarget("image-1.raw");
  ASSERT_OK(data);
  EXPECT_EQ(AsChars(*data), "first image");
  EXPECT_TRUE(fs::exists(state_ + "/timestamp.json"));
}

TEST_F(TufFixture, RollbackOfTimestampRefused) {
  Bytes old_ts = *ReadFileBytes(repo_ + "/timestamp.json");
  AddTarget("image-2.raw", "second", "202612.01.0");
  ASSERT_OK(Refresh());
  ASSERT_OK(WriteFileAtomic(repo_ + "/timestamp.json", old_ts));
  Status st = Refresh();
  ASSERT_ERROR(st, ErrorCode::kRollback);
  EXPECT_EQ(st.error().ToString(), "timestamp: version 2 is older than the trusted version 3");
}

TEST_F(TufFixture, FreezeAttackExpiredTimestamp) {
  Status st = Refresh(kT0 + 2 * 86400);  // the timestamp lives one day
  ASSERT_ERROR(st, ErrorCode::kExpired);
  EXPECT_NE(st.error().ToString().find("timestamp: timestamp metadata version 2 expired"),
            std::string::npos);
}

TEST_F(TufFixture, MixAndMatchSnapshotRefused) {
  // An attacker with the timestamp key names snapshot v3 but serves v2's content.
  Bytes v2 = *ReadFileBytes(repo_ + "/2.snapshot.json");
  ASSERT_OK(WriteFileAtomic(repo_ + "/3.snapshot.json", v2));
  ResignTimestamp([&](Timestamp& t) {
    t.snapshot.version = 3;
    t.snapshot.length = v2.size();
    t.snapshot.hashes["sha256"] = HexEncode(crypto::Sha256(v2));
  });
  Status st = Refresh();
  ASSERT_ERROR(st, ErrorCode::kVerifyFailed);
  EXPECT_EQ(st.error().ToString(),
            "snapshot: version 2 is not the version 3 the timestamp names (mix-and-match)");
}

TEST_F(TufFixture, WrongKeyBelowThreshold) {
  auto rogue = crypto::PrivateKey::Generate(crypto::KeyType::kEd25519);
  ResignTimestamp([](Timestamp& t) { t.version += 1; }, &*rogue);
  Status st = Refresh();
  ASSERT_ERROR(st, ErrorCode::kBadSignature);
  EXPECT_EQ(st.error().ToString(),
            "timestamp: timestamp metadata has 0 valid signature(s) from timestamp keys, "
            "threshold is 1");
}

TEST_F(TufFixture, ArbitraryTargetRefused) {
  auto c = MakeClient();
  ASSERT_OK(c->Refresh());
  std::string hash = c->targets().targets.at("image-1.raw").hashes.at("sha256");
  std::string path = repo_ + "/targets/" + hash + ".image-1.raw";
  ASSERT_OK(WriteFileAtomic(path, std::string("evil image!")));  // same length
  auto same_len = c->FetchTarget("image-1.raw");
  ASSERT_ERROR(same_len, ErrorCode::kVerifyFailed);
  EXPECT_EQ(same_len.error().message(), "target image-1.raw does not match its sha256 hash");
  ASSERT_OK(WriteFileAtomic(path, std::string("a much longer evil image")));
  auto longer = c->FetchTarget("image-1.raw");
  ASSERT_ERROR(longer, ErrorCode::kVerifyFailed);
}

// FetchTargetTo streams into a file that appears only when length and hash match.
TEST_F(TufFixture, FetchTargetToFileChecksBeforeTheFileAppears) {
  auto c = MakeClient();
  ASSERT_OK(c->Refresh());
  std::string out = dir_->path() + "/got.raw";
  auto n = c->FetchTargetTo("image-1.raw", out);
  ASSERT_OK(n);
  EXPECT_EQ(*n, 11u);
  EXPECT_EQ(AsChars(*ReadFileBytes(out)), "first image");
  fs::remove(out);
  std::string hash = c->targets().targets.at("image-1.raw").hashes.at("sha256");
  std::string path = repo_ + "/targets/" + hash + ".image-1.raw";
  ASSERT_OK(WriteFileAtomic(path, std::string("evil image!")));  // same length
  auto bad = c->FetchTargetTo("image-1.raw", out);
  ASSERT_ERROR(bad, ErrorCode::kVerifyFailed);
  EXPECT_EQ(bad.error().message(), "target image-1.raw does not match its sha256 hash");
  EXPECT_FALSE(fs::exists(out));
  ASSERT_OK(WriteFileAtomic(path, std::string("short")));
  auto short_ = c->FetchTargetTo("image-1.raw", out);
  ASSERT_ERROR(short_, ErrorCode::kVerifyFailed);
  EXPECT_EQ(short_.error().message(), "target image-1.raw is 5 bytes, expected 11");
  EXPECT_FALSE(fs::exists(out));
  auto missing = c->FetchTargetTo("nope.raw", out);
  ASSERT_ERROR(missing, ErrorCode::kNotFound);
}

// AddTargets publishes several targets in one targets version.
TEST_F(TufFixture, AddTargetsIsOneVersion) {
  auto before = Repository::ReadTargets(repo_);
  ASSERT_OK(before);
  std::vector<Repository::NewTarget> add;
  for (const char* n : {"a.raw", "b.raw"}) {
    std::string src = dir_->path() + "/" + n;
    ASSERT_OK(WriteFileAtomic(src, std::string(n)));
    add.push_back({src, n, json{{"version", "202612.01.0"}}});
  }
  ASSERT_OK(Repository::AddTargets(repo_, keys_, add, {}, WriterClock));
  auto after = Repository::ReadTargets(repo_);
  ASSERT_OK(after);
  EXPECT_EQ(after->version, before->version + 1);
  auto c = MakeClient();
  ASSERT_OK(c->Refresh());
  EXPECT_EQ(AsChars(*c->FetchTarget("b.raw")), "b.raw");
}

TEST_F(TufFixture, EndlessDataCutOff) {
  ASSERT_OK(WriteFileAtomic(repo_ + "/timestamp.json", std::string(100000, ' ')));
  Status st = Refresh();
  ASSERT_ERROR(st, ErrorCode::kVerifyFailed);
  EXPECT_EQ(st.error().ToString(),
            "timestamp: 'timestamp.json' is longer than the 16384 bytes allowed");
}

TEST_F(TufFixture, RootRotation) {
  auto new_root_key = crypto::PrivateKey::Generate(crypto::KeyType::kEd25519);
  Root r = *ParseRoot(ParseEnvelope(trusted_root_, Role::kRoot)->signed_json);
  Key k = KeyFromPublic(crypto::PublicKey::Of(*new_root_key));
  std::string old_id = r.roles[Role::kRoot].keyids[0];
  r.keys[KeyId(k)] = k;
  r.roles[Role::kRoot] = RoleKeys{{KeyId(k)}, 1};
  r.version = 2;
  // Signed only by the new key: the old root's threshold is not met.
  ASSERT_OK(
      WriteFileAtomic(repo_ + "/2.root.json", *SignEnvelope(RootToJson(r), {&*new_root_key})));
  Status st = Refresh();
  ASSERT_ERROR(st, ErrorCode::kBadSignature);
  EXPECT_EQ(st.error().ToString(),
            "root: 2.root.json (by the trusted root's keys): root metadata has 0 valid "
            "signature(s) from root keys, threshold is 1");
  // Signed by both old and new keys: accepted and persisted.
  ASSERT_OK(
      WriteFileAtomic(repo_ + "/2.root.json",
                      *SignEnvelope(RootToJson(r), {&keys_.keys[Role::kRoot][0], &*new_root_key})));
  auto c = MakeClient();
  ASSERT_OK(c->Refresh());
  EXPECT_EQ(c->root().version, 2u);
  auto again = MakeClient();  // from state: version 2 is now trusted
  EXPECT_EQ(again->root().version, 2u);
}

TEST_F(TufFixture, MalformedMetadataIsCorrupt) {
  ASSERT_OK(WriteFileAtomic(repo_ + "/timestamp.json", std::string("{\"signed\": 3}")));
  Status st = Refresh();
  ASSERT_ERROR(st, ErrorCode::kCorrupt);
}

TEST(DirFetcher, StreamsInMiBPieces) {
  auto dir = TempDir::Create("hull-dirfetch");
  ASSERT_OK(dir);
  Bytes data((2 << 20) + 7);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 31 + (i >> 9));
  ASSERT_OK(WriteFileAtomic(dir->path() + "/t.bin", data));
  auto fetcher = MakeFetcher("file://" + dir->path());
  Bytes got;
  std::vector<size_t> pieces;
  ASSERT_OK(fetcher->FetchTo("t.bin", data.size(), [&](ByteSpan p) {
    pieces.push_back(p.size());
    got.insert(got.end(), p.begin(), p.end());
    return Status{};
  }));
  EXPECT_EQ(got, data);
  EXPECT_EQ(pieces, (std::vector<size_t>{1 << 20, 1 << 20, 7}));
  Status capped = fetcher->FetchTo("t.bin", data.size() - 1, [](ByteSpan) { return Status{}; });
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.error().ToString(),
            fmt::format("'t.bin' is longer than the {} bytes allowed", data.size() - 1));
  Status sink_error = fetcher->FetchTo(
      "t.bin", data.size(), [](ByteSpan) -> Status { return Error(ErrorCode::kIo, "disk full"); });
  ASSERT_FALSE(sink_error.ok());
  EXPECT_EQ(sink_error.error().ToString(), "disk full");
  auto missing = fetcher->Fetch("none.json", 10);
  ASSERT_ERROR(missing, ErrorCode::kNotFound);
  auto whole = fetcher->Fetch("t.bin", data.size());
  ASSERT_OK(whole);
  EXPECT_EQ(*whole, data);
}

}  // namespace
}  // namespace hull::tuf
