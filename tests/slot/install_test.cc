// The slot installer on real disk images (fixture.h): status, extract,
// install into the empty slot and over the older one, refusals, and the
// power-loss matrix. Oracles: sgdisk -v and sfdisk --json (GPT), veritysetup
// verify (each slot's tree, partitions cut out with dd).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/hex.h"
#include "base/subprocess.h"
#include "gpt/dps.h"
#include "release/publish.h"
#include "slot/fault.h"
#include "slot/fixture.h"
#include "slot/gpt_write.h"
#include "slot/installer.h"
#include "slot/update.h"
#include "support/status_matchers.h"
#include "tuf/fetcher.h"

namespace hull::slot {
namespace {

using testing::Inputs;
using testing::Release;

class InstallTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto t0 = std::chrono::steady_clock::now();
    auto in = Inputs::Create();
    ASSERT_OK(in);
    inputs_ = std::move(*in).release();
    for (auto [v, kib] :
         {std::pair{"202611.24.0", 256}, {"202612.01.0", 640}, {"202612.08.0", 384}}) {
      auto r = inputs_->MakeRelease(v, kib);
      ASSERT_OK(r);
      releases_.push_back(*r);
    }
    auto d = inputs_->MakeDisk(releases_[0], "base");
    ASSERT_OK(d);
    base_ = *d;
    std::printf("fixture: 3 releases and a disk in %.1f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  static void TearDownTestSuite() { delete inputs_; }

  std::string Fresh(const std::string& name, const std::string& from = "") {
    std::string path = inputs_->dir() + "/" + name + ".raw";
    EXPECT_OK(testing::CopyImage(from.empty() ? base_ : from, path));
    return path;
  }
  static Payload Load(int i) { return *LoadPayload(releases_[size_t(i)].dir); }

  static Result<InstallResult> InstallOn(const std::string& image, const Payload& p,
                                         InstallOptions o = {}) {
    HULL_ASSIGN_OR_RETURN(auto disk, FileDisk::Open(image, true));
    HULL_ASSIGN_OR_RETURN(auto table, gpt::ReadRecovering(DiskSource(*disk)));
    HULL_ASSIGN_OR_RETURN(uint64_t esp_off, EspOffset(table.table));
    MtoolsEsp esp(image, esp_off);
    return Install(*disk, esp, p, o);
  }
  static Result<DiskState> StateOf(const std::string& image) {
    HULL_ASSIGN_OR_RETURN(auto disk, FileDisk::Open(image, false));
    HULL_ASSIGN_OR_RETURN(auto table, gpt::ReadRecovering(DiskSource(*disk)));
    HULL_ASSIGN_OR_RETURN(uint64_t esp_off, EspOffset(table.table));
    MtoolsEsp esp(image, esp_off);
    return ReadDiskState(*disk, esp);
  }

  static Inputs* inputs_;
  static std::vector<Release> releases_;
  static std::string base_;
};

Inputs* InstallTest::inputs_ = nullptr;
std::vector<Release> InstallTest::releases_;
std::string InstallTest::base_;

std::string Sh(std::vector<std::string> argv) {
  auto r = hull::Run(Command{.argv = std::move(argv)});
  EXPECT_OK(r);
  return r.ok() ? r->out : "";
}

// veritysetup verify of one slot, its partitions cut out with dd.
void OracleVerify(const std::string& image, const Slot& s, const std::string& root,
                  const std::string& tmp) {
  auto cut = [&](const gpt::Partition& p, const std::string& out) {
    Sh({"dd", "if=" + image, "of=" + out, "bs=512", fmt::format("skip={}", p.first_lba),
        fmt::format("count={}", p.sectors()), "status=none"});
  };
  cut(s.usr, tmp + "/usr.part");
  cut(s.verity, tmp + "/verity.part");
  auto r = hull::RunAllowFailure(
      Command{.argv = {"veritysetup", "verify", tmp + "/usr.part", tmp + "/verity.part", root}});
  ASSERT_OK(r);
  EXPECT_EQ(r->exit_code, 0) << "veritysetup verify slot " << s.name() << ": " << r->err;
}

TEST_F(InstallTest, BuiltDiskHasSlotAActiveAndBEmpty) {
  auto st = StateOf(base_);
  ASSERT_OK(st);
  ASSERT_EQ(st->slots.size(), 2u);
  EXPECT_EQ(st->slots[0].version, "202611.24.0");
  EXPECT_TRUE(st->slots[1].empty());
  ASSERT_EQ(st->ukis.size(), 1u);
  EXPECT_EQ(st->ukis[0].file, "hull_202611.24.0+3.efi");
  EXPECT_EQ(st->ukis[0].entry.state(), node::EntryState::kIndeterminate);
  EXPECT_EQ(st->ukis[0].slot, 0);
  EXPECT_FALSE(st->gpt_from_backup);
  EXPECT_EQ(st->gpt_note, "");
}

TEST_F(InstallTest, ExtractGivesBackTheReleasePieces) {
  auto disk = FileDisk::Open(base_, false);
  ASSERT_OK(disk);
  auto table = gpt::ReadRecovering(DiskSource(**disk));
  MtoolsEsp esp(base_, *EspOffset(table->table));
  std::string out = inputs_->dir() + "/extracted";
  auto x = ExtractPayload(**disk, esp, out);
  ASSERT_OK(x);
  EXPECT_EQ(x->slot, "A");
  EXPECT_EQ(x->uki_file, "hull_202611.24.0+3.efi");
  // Byte for byte what the release was made of, so payload.json agrees too.
  EXPECT_EQ(*ReadFileText(out + "/payload.json"),
            *ReadFileText(releases_[0].dir + "/payload.json"));
  auto again = ExtractPayload(**disk, esp, out);
  ASSERT_ERROR(again, ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.error().message(), out + " exists and is not empty");
  // As work files (hull customize's base): the same pieces, byte for byte,
  // and no payload.json.
  std::string scratch = inputs_->dir() + "/scratch";
  auto s = ExtractPayload(**disk, esp, scratch, {}, Copies::kScratch);
  ASSERT_OK(s);
  EXPECT_EQ(s->uki_file, x->uki_file);
  EXPECT_TRUE(s->manifest.is_null());
  for (const char* name : {kUsrFile, kVerityFile, kSignatureFile, kUkiFile})
    EXPECT_EQ(*ReadFileBytes(scratch + "/" + name), *ReadFileBytes(releases_[0].dir + "/" + name))
        << name;
  EXPECT_FALSE(std::filesystem::exists(scratch + "/payload.json"));
}

TEST_F(InstallTest, InstallsIntoEmptySlotThenOverOlderSlot) {
  std::string image = Fresh("ab");
  auto r2 = InstallOn(image, Load(1), {.verity_cert = &inputs_->verity_cert()});
  ASSERT_OK(r2);
  EXPECT_EQ(r2->slot, "B");
  EXPECT_EQ(r2->replaced_version, "");
  EXPECT_EQ(r2->uki_file, "hull_202612.01.0+3.efi");
  EXPECT_TRUE(r2->removed.empty());

  auto r3 = InstallOn(image, Load(2));
  ASSERT_OK(r3);
  EXPECT_EQ(r3->slot, "A");
  EXPECT_EQ(r3->replaced_version, "202611.24.0");
  EXPECT_EQ(r3->removed, (std::vector<std::string>{"hull_202611.24.0+3.efi"}));

  auto st = StateOf(image);
  ASSERT_OK(st);
  ASSERT_EQ(st->ukis.size(), 2u);                         // at most two UKIs
  EXPECT_EQ(st->ukis[0].file, "hull_202612.08.0+3.efi");  // the new one boots first
  EXPECT_EQ(st->ukis[0].slot, 0);
  EXPECT_EQ(st->ukis[1].file, "hull_202612.01.0+3.efi");
  EXPECT_EQ(st->ukis[1].slot, 1);
  auto disk = FileDisk::Open(image, false);
  for (int i : {0, 1}) {
    const Slot& s = st->slots[size_t(i)];
    const Release& rel = releases_[i == 0 ? 2 : 1];
    EXPECT_EQ(s.version, rel.version);
    Status v = VerifySlot(**disk, s, rel.root_hash, &inputs_->verity_cert());
    EXPECT_OK(v);
    OracleVerify(image, s, rel.root_hash, inputs_->dir());
  }
  // sgdisk and sfdisk read the rewritten table the same way.
  std::string v = Sh({"sgdisk", "-v", image});
  EXPECT_NE(v.find("No problems found"), std::string::npos) << v;
  auto j = nlohmann::json::parse(Sh({"sfdisk", "--json", image}));
  const auto& parts = j["partitiontable"]["partitions"];
  Bytes root = *HexDecode(releases_[2].root_hash);
  auto uuids = *gpt::DpsVerityUuids(root);
  EXPECT_EQ(parts[1]["name"], "usr_202612.08.0");
  EXPECT_EQ(parts[2]["name"], "usr_202612.08.0_verity");
  EXPECT_EQ(parts[3]["name"], "usr_202612.08.0_verity_sig");
  EXPECT_EQ(parts[4]["name"], "usr_202612.01.0");
  std::string usr_uuid = parts[1]["uuid"];
  std::string ver_uuid = parts[2]["uuid"];
  for (auto* s : {&usr_uuid, &ver_uuid})
    for (auto& c : *s) c = char(std::tolower(c));
  EXPECT_EQ(usr_uuid, uuids.data.ToString());
  EXPECT_EQ(ver_uuid, uuids.verity.ToString());
}

TEST_F(InstallTest, Refusals) {
  std::string image = Fresh("refuse");
  ASSERT_OK(InstallOn(image, Load(1)));
  auto same = InstallOn(image, Load(1));
  ASSERT_ERROR(same, ErrorCode::kAlreadyExists);
  EXPECT_EQ(same.error().message(),
            fmt::format("version 202612.01.0 (root hash {}) is the active slot B",
                        releases_[1].root_hash));

  auto big = inputs_->MakeRelease("202612.15.0", 3200);
  ASSERT_OK(big);
  auto too_big = InstallOn(image, *LoadPayload(big->dir));
  ASSERT_ERROR(too_big, ErrorCode::kRefused);
  EXPECT_EQ(too_big.error().message().rfind("usr image needs ", 0), 0u)
      << too_big.error().ToString();
  EXPECT_NE(too_big.error().message().find("slot A's partition 2 has 3145728"), std::string::npos)
      << too_big.error().ToString();

  // A flipped byte in the usr image: refused before anything is written.
  Payload p = Load(2);
  std::string bad = inputs_->dir() + "/bad.erofs";
  Bytes usr = *ReadFileBytes(p.usr_path);
  usr[usr.size() / 2] ^= 1;
  ASSERT_OK(WriteFileAtomic(bad, usr));
  p.usr_path = bad;
  Bytes before = *ReadFileBytes(image);
  auto tampered = InstallOn(image, p);
  ASSERT_ERROR(tampered, ErrorCode::kVerifyFailed);
  EXPECT_EQ(tampered.error().message().rfind("payload: verity: data block ", 0), 0u)
      << tampered.error().ToString();
  EXPECT_TRUE(*ReadFileBytes(image) == before);

  // The manifest catches it first when the payload is loaded from its directory.
  std::string dir = inputs_->dir() + "/tampered";
  std::filesystem::copy(releases_[2].dir, dir);
  ASSERT_OK(WriteFileAtomic(dir + "/usr.erofs", usr));
  auto loaded = LoadPayload(dir);
  ASSERT_ERROR(loaded, ErrorCode::kCorrupt);
  EXPECT_EQ(loaded.error().message(),
            dir + "/payload.json: usr.erofs does not match its size and sha256");
}

// The running slot's label is not usr_<v> (relabelled by hand, or torn by
// another tool): the running root hash names no slot, so the installer must
// not guess which slot is free. Slot A, the one that runs, reads as empty and
// would be the first choice.
TEST_F(InstallTest, RefusesWhenTheRunningSlotIsUnknown) {
  std::string image = Fresh("unknown-active");
  {
    auto disk = FileDisk::Open(image, true);
    ASSERT_OK(disk);
    auto st = StateOf(image);
    ASSERT_OK(st);
    gpt::Table t = st->table;
    for (auto& p : t.partitions)
      if (p.number == st->slots[0].usr.number) p.name = kEmptyLabel;
    ASSERT_OK(WriteTableCrashSafe(**disk, t, 1 << 20));
  }
  Bytes before = *ReadFileBytes(image);
  InstallOptions o;
  o.active_usrhash = releases_[0].root_hash;
  auto r = InstallOn(image, Load(1), o);
  EXPECT_ERROR(r, ErrorCode::kUnavailable);
  EXPECT_TRUE(*ReadFileBytes(image) == before);
}

// The agent decides the slot; the installer writes that one or refuses.
TEST_F(InstallTest, TakesTheDecidedSlot) {
  std::string image = Fresh("decided");
  InstallOptions o;
  o.target_slot = 0;  // slot A runs
  EXPECT_ERROR(InstallOn(image, Load(1), o), ErrorCode::kInvalidArgument);
  o.target_slot = 2;
  EXPECT_ERROR(InstallOn(image, Load(1), o), ErrorCode::kInvalidArgument);
  o.target_slot = 1;
  auto r = InstallOn(image, Load(1), o);
  ASSERT_OK(r);
  EXPECT_EQ(r->slot, "B");
}

// A release whose UKI spells its version otherwise than the release: the
// entry would be named for one and recorded bad by the other. Refused, and
// marked as the payload's own fault (the agent remembers such refusals).
TEST_F(InstallTest, RefusesAUkiOfAnotherVersionSpelling) {
  std::string image = Fresh("spelling");
  Payload p = Load(2);
  ASSERT_EQ(p.version, "202612.08.0");
  p.version = "202612.8.0";
  Bytes before = *ReadFileBytes(image);
  bool refused = false;
  auto disk = FileDisk::Open(image, true);
  ASSERT_OK(disk);
  auto table = gpt::ReadRecovering(DiskSource(**disk));
  ASSERT_OK(table);
  MtoolsEsp esp(image, *EspOffset(table->table));
  auto r = Install(**disk, esp, p, {}, &refused);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kVerifyFailed);
  EXPECT_EQ(r.error().message(),
            "payload: the UKI's os-release says version '202612.08.0', the release is "
            "'202612.8.0'");
  EXPECT_TRUE(refused);
  EXPECT_TRUE(*ReadFileBytes(image) == before);
  // An error of the disk, not of the payload, is not a refusal.
  p = Load(0);  // the version slot A runs
  EXPECT_ERROR(Install(**disk, esp, p, {}, &refused), ErrorCode::kAlreadyExists);
  EXPECT_FALSE(refused);
}

struct Cli {
  int code;
  std::string out, err;
};
Cli Hull(std::vector<std::string> args) {
  args.insert(args.begin(), std::getenv("HULL_BIN"));
  auto r = hull::RunAllowFailure(Command{.argv = std::move(args)});
  EXPECT_OK(r);
  return r.ok() ? Cli{r->exit_code, r->out, r->err} : Cli{-1, "", ""};
}

TEST_F(InstallTest, Cli) {
  std::string image = Fresh("cli");
  Cli help = Hull({"slot", "install", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("Example: hull slot install disk.raw payload-202612.01.0"),
            std::string::npos)
      << help.out;

  Cli st =
      Hull({"slot", "status", image, "--verify", "--verity-cert", inputs_->cert_path(), "--json"});
  ASSERT_EQ(st.code, 0) << st.err;
  auto j = nlohmann::json::parse(st.out);
  EXPECT_EQ(j["slots"][0]["version"], "202611.24.0");
  EXPECT_EQ(j["slots"][0]["active"], true);
  EXPECT_EQ(j["slots"][0]["verified"], true);
  EXPECT_EQ(j["slots"][0]["root_hash"], releases_[0].root_hash);
  EXPECT_EQ(j["slots"][1]["empty"], true);
  EXPECT_EQ(j["ukis"][0]["file"], "hull_202611.24.0+3.efi");
  EXPECT_EQ(j["ukis"][0]["tries_left"], 3);
  EXPECT_EQ(j["ukis"][0]["state"], "indeterminate");

  std::string out = inputs_->dir() + "/cli-extract";
  Cli x = Hull({"slot", "extract", image, "--out", out, "--json"});
  ASSERT_EQ(x.code, 0) << x.err;
  EXPECT_EQ(nlohmann::json::parse(x.out)["slot"], "A");

  Cli in = Hull({"slot", "install", image, releases_[1].dir, "--verity-cert", inputs_->cert_path(),
                 "--json"});
  ASSERT_EQ(in.code, 0) << in.err;
  auto ji = nlohmann::json::parse(in.out);
  EXPECT_EQ(ji["slot"], "B");
  EXPECT_EQ(ji["uki_file"], "hull_202612.01.0+3.efi");

  Cli again = Hull({"slot", "install", image, releases_[1].dir});
  EXPECT_EQ(again.code, 2) << again.err;  // kAlreadyExists: a usage error
  EXPECT_NE(again.err.find("is the active slot B"), std::string::npos) << again.err;

  Cli text = Hull({"slot", "status", image});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("slot B (active): usr_202612.01.0"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("1. hull_202612.01.0+3.efi  indeterminate, 3 tries left  -> slot B"),
            std::string::npos)
      << text.out;
}

// On a node the ESP is mounted: the same install through a directory.
TEST_F(InstallTest, MountedEspDirectory) {
  std::string image = Fresh("mounted");
  std::string esp = inputs_->dir() + "/mounted-esp";
  std::filesystem::create_directories(esp + "/EFI/Linux");
  std::filesystem::copy_file(releases_[0].dir + "/uki.efi",
                             esp + "/EFI/Linux/hull_202611.24.0.efi");
  auto o = OpenDisk(image, true, esp);
  ASSERT_OK(o);
  auto r = Install(*o->disk, *o->esp, Load(1));
  ASSERT_OK(r);
  EXPECT_EQ(r->slot, "B");
  auto files = o->esp->List();
  ASSERT_OK(files);
  EXPECT_EQ(*files, (std::vector<std::string>{"hull_202611.24.0.efi", "hull_202612.01.0+3.efi"}));
  auto def = CheckBootable(*o->disk, *o->esp, &inputs_->verity_cert());
  ASSERT_OK(def);
  EXPECT_EQ(*def, "hull_202612.01.0+3.efi");
  // The image's own ESP was not touched: it still boots the first release.
  auto st = StateOf(image);
  ASSERT_OK(st);
  EXPECT_EQ(st->default_entry()->file, "hull_202611.24.0+3.efi");
}

TEST_F(InstallTest, UpdateApplyFromATufRepository) {
  const std::string repo = inputs_->dir() + "/repo", keydir = inputs_->dir() + "/tuf-keys";
  auto keys = tuf::RoleKeySet::Load(keydir, true);
  ASSERT_OK(keys);
  ASSERT_OK(tuf::Repository::Init(repo, *keys));
  auto names = release::PublishPayload(repo, *keys, releases_[1].dir, {});
  ASSERT_OK(names);
  EXPECT_EQ(names->front(), "hull-immutable-amd64-202612.01.0.usr.erofs");
  uint64_t full = 0;
  for (const char* f : {kUsrFile, kVerityFile, kSignatureFile, kUkiFile})
    full += std::filesystem::file_size(releases_[1].dir + "/" + f);

  std::string image = Fresh("update");
  {
    ASSERT_OK_AND_ASSIGN(auto node, testing::OpenUpdatingNode(repo, repo, image));
    auto r = node.Apply();
    ASSERT_OK(r);
    EXPECT_EQ(r->version, "202612.01.0");
    EXPECT_EQ(r->install.slot, "B");
    EXPECT_EQ(r->full_size, full);
    // No delta from the disk's release; its chunks share nothing with it
    // (other random data); the tree is recomputed.
    EXPECT_TRUE(r->pieces["usr"].method.starts_with("chunks: ")) << r->pieces["usr"].method;
    EXPECT_EQ(r->pieces["verity"].method, "recomputed");
    EXPECT_EQ(r->pieces["uki"].method, "full");
    auto def = CheckBootable(*node.opened.disk, *node.opened.esp, &inputs_->verity_cert());
    ASSERT_OK(def);
    EXPECT_EQ(*def, "hull_202612.01.0+3.efi");
    auto again = node.Apply();
    ASSERT_OK(again);
    EXPECT_TRUE(again->up_to_date);
  }

  // A later release whose usr delta (from the release the disk now runs) was
  // altered on the server: refused by its TUF hash before anything is written.
  ASSERT_OK(release::PublishPayload(repo, *keys, releases_[2].dir, {}));
  std::string stored;
  for (const auto& e : std::filesystem::directory_iterator(repo + "/targets"))
    if (e.path().string().ends_with(".hull-immutable-amd64-202612.08.0.usr.from-202612.01.0.zst"))
      stored = e.path();
  ASSERT_FALSE(stored.empty());
  Bytes usr = *ReadFileBytes(stored);
  usr[100] ^= 1;
  ASSERT_OK(WriteFileAtomic(stored, usr));
  Bytes before = *ReadFileBytes(image);
  Cli bad = Hull({"update", "apply", "--repo", repo, "--trusted-root", repo + "/1.root.json",
                  "--disk", image});
  EXPECT_EQ(bad.code, 1) << bad.err;
  EXPECT_NE(bad.err.find("downloading hull-immutable-amd64-202612.08.0.usr.from-202612.01.0.zst"),
            std::string::npos)
      << bad.err;
  EXPECT_TRUE(*ReadFileBytes(image) == before);

  usr[100] ^= 1;  // repaired: the CLI installs it over slot A
  ASSERT_OK(WriteFileAtomic(stored, usr));
  Cli ok = Hull({"update", "apply", "--repo", repo, "--trusted-root", repo + "/1.root.json",
                 "--disk", image, "--json"});
  ASSERT_EQ(ok.code, 0) << ok.err;
  auto j = nlohmann::json::parse(ok.out);
  EXPECT_EQ(j["version"], "202612.08.0");
  EXPECT_EQ(j["install"]["slot"], "A");
  EXPECT_EQ(j["pieces"]["usr"]["method"], "delta from 202612.01.0");
  EXPECT_LT(j["downloaded_bytes"].get<uint64_t>(), j["full_bytes"].get<uint64_t>());
}

}  // namespace
}  // namespace hull::slot
