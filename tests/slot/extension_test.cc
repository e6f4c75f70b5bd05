// The node's verification of a system extension image (slot/extension.h):
// images made by the build's own sealing step (sysext::SealStagedTree, real
// mkfs.erofs) from a tiny staged /usr, then damaged region by region. The
// expected verdicts come from the checks' order in slot/extension.h.
#include "slot/extension.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/subprocess.h"
#include "crypto/key.h"
#include "gpt/dps.h"
#include "keys/keys.h"
#include "support/status_matchers.h"
#include "sysext/build.h"
#include "verity/signature.h"

namespace hull::slot {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct Made {
  Bytes image;
  Bytes root_hash;
  gpt::Table table;
};

class ExtensionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto dir = TempDir::Create("hull-ext-test");
    ASSERT_OK(dir);
    dir_ = new TempDir(std::move(*dir));
    ASSERT_OK(keys::InitKeys(Dir() + "/keys"));
    ASSERT_OK(keys::InitKeys(Dir() + "/other"));
    auto made = Make("cni", sysext::Compatibility::Kind::kSysextLevel, "12");
    ASSERT_OK(made);
    good_ = new Made(std::move(*made));
  }
  static void TearDownTestSuite() {
    delete good_;
    delete dir_;
  }
  static std::string Dir() { return dir_->path(); }

  static Result<Made> Make(const std::string& name, sysext::Compatibility::Kind kind,
                           const std::string& value, const std::string& keys = "keys") {
    const std::string work = Dir() + "/work-" + name + "-" + keys;
    const std::string stage = work + "/stage";
    fs::remove_all(work);
    fs::create_directories(stage + "/usr/lib/cni");
    HULL_TRY(WriteFileAtomic(stage + "/usr/lib/cni/bridge", std::string(20000, 'b')));
    HULL_TRY(WriteFileAtomic(stage + "/usr/lib/cni/host-local", std::string(9000, 'h')));
    sysext::BuildOptions o;
    o.spec.name = name;
    o.spec.version = "1.1.1-2";
    o.spec.arch = "amd64";
    o.spec.compatibility = {.id = "hull", .kind = kind, .value = value};
    o.key_dir = Dir() + "/" + keys;
    o.source_date_epoch = 1700000000;
    HULL_ASSIGN_OR_RETURN(auto sealed, sysext::SealStagedTree(o, stage, "", work));
    HULL_ASSIGN_OR_RETURN(Bytes bytes, ReadFileBytes(sealed.image));
    return Made{std::move(bytes), sealed.root_hash, sealed.disk.table};
  }

  static TrustSet Trust(const std::string& keys = "keys") {
    TrustSet t;
    t.dir = "/usr/lib/hull/trust";
    auto cert = crypto::Certificate::Load(Dir() + "/" + keys + "/verity.crt");
    EXPECT_OK(cert);
    t.verity.push_back(std::move(*cert));
    return t;
  }

  static const gpt::Partition& Part(const Made& m, gpt::Role role) {
    for (const auto& p : m.table.partitions)
      if (gpt::LookupTypeGuid(p.type)->role == role) return p;
    ADD_FAILURE() << "no partition of that role";
    return m.table.partitions.front();
  }
  static uint64_t Offset(const Made& m, gpt::Role role) {
    return Part(m, role).first_lba * m.table.sector_size;
  }

  static Result<ExtensionImage> Verify(const Bytes& image, const TrustSet& trust,
                                       gpt::Arch arch = gpt::Arch::kX86_64) {
    gpt::MemorySource src(image);
    return VerifyExtensionImage("cni", src, trust, arch);
  }

  // Writes `image` to a file and runs the full content check.
  static Status Content(const Bytes& image) {
    gpt::MemorySource src(image);
    HULL_ASSIGN_OR_RETURN(auto ext, VerifyExtensionImage("cni", src, Trust(), gpt::Arch::kX86_64));
    const std::string path = Dir() + "/content.raw";
    HULL_TRY(WriteFileAtomic(path, image));
    HULL_ASSIGN_OR_RETURN(File f, File::OpenRead(path));
    return VerifyExtensionContent(f, ext);
  }

  static inline TempDir* dir_ = nullptr;
  static inline Made* good_ = nullptr;
};

TEST_F(ExtensionTest, AGoodImageVerifiesWithItsSignedRootHash) {
  ASSERT_OK_AND_ASSIGN(auto ext, Verify(good_->image, Trust()));
  EXPECT_EQ(ext.root_hash, good_->root_hash);
  EXPECT_EQ(ext.arch, gpt::Arch::kX86_64);
  EXPECT_EQ(ext.data_offset, Offset(*good_, gpt::Role::kRoot));
  EXPECT_EQ(ext.verity_offset, Offset(*good_, gpt::Role::kRootVerity));
  // 29000 bytes of files and the extension-release file: a few 4 KiB blocks.
  EXPECT_GE(ext.params.data_blocks, 8u);
  EXPECT_LE(ext.params.data_blocks * 4096, ext.data_bytes);
  EXPECT_OK(Content(good_->image));
}

// The layout the node mounts at /run/extensions/NAME: DPS root, root-verity
// and root-verity-sig partitions for x86-64 (the type GUIDs written from the
// Discoverable Partitions Specification), and a file system whose top holds
// usr/ and nothing else (extracted by fsck.erofs, not read by Hull's code).
TEST_F(ExtensionTest, TheImageIsARootPartitionWithUsrAtItsTop) {
  ASSERT_EQ(good_->table.partitions.size(), 3u);
  EXPECT_EQ(good_->table.partitions[0].type.ToString(), "4f68bce3-e8cd-4db1-96e7-fbcaf984b709");
  EXPECT_EQ(good_->table.partitions[1].type.ToString(), "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5");
  EXPECT_EQ(good_->table.partitions[2].type.ToString(), "41092b05-9fc8-4523-994f-2def0408b176");
  const gpt::Partition& root = good_->table.partitions[0];
  const uint64_t off = root.first_lba * good_->table.sector_size;
  const uint64_t len = root.sectors() * good_->table.sector_size;
  const std::string fs_path = Dir() + "/root.erofs", out = Dir() + "/extracted";
  ASSERT_OK(WriteFileAtomic(fs_path, ByteSpan(good_->image.data() + off, len)));
  fs::remove_all(out);
  auto r = RunAllowFailure(Command{.argv = {"fsck.erofs", "--extract=" + out, fs_path}});
  ASSERT_OK(r);
  ASSERT_EQ(r->exit_code, 0) << r->out << r->err;
  std::vector<std::string> top;
  for (const auto& e : fs::directory_iterator(out)) top.push_back(e.path().filename().string());
  EXPECT_EQ(top, std::vector<std::string>{"usr"});
  EXPECT_EQ(fs::file_size(out + "/usr/lib/cni/bridge"), 20000u);
  EXPECT_TRUE(fs::is_regular_file(out + "/usr/lib/extension-release.d/extension-release.cni"));
}

TEST_F(ExtensionTest, AnImageSignedByAnotherKeyIsRefused) {
  ASSERT_OK_AND_ASSIGN(Made other,
                       Make("cni", sysext::Compatibility::Kind::kSysextLevel, "12", "other"));
  auto r = Verify(other.image, Trust());
  EXPECT_ERROR(r, ErrorCode::kRefused);
  EXPECT_NE(r.error().ToString().find("not in the node's trust set"), std::string::npos)
      << r.error().ToString();
  // It verifies for a node that trusts the other key.
  EXPECT_OK(Verify(other.image, Trust("other")));
}

TEST_F(ExtensionTest, ANodeWithoutVerityCertificatesRefusesEveryExtension) {
  TrustSet empty;
  empty.dir = "/usr/lib/hull/trust";
  EXPECT_ERROR(Verify(good_->image, empty), ErrorCode::kRefused);
}

TEST_F(ExtensionTest, AnImageOfAnotherArchitectureIsRefused) {
  auto r = Verify(good_->image, Trust(), gpt::Arch::kArm64);
  EXPECT_ERROR(r, ErrorCode::kRefused);
  EXPECT_NE(r.error().ToString().find("built for x86-64, this node is arm64"), std::string::npos)
      << r.error().ToString();
}

// The signature partition rewritten in place: the same signature over a
// root hash that differs in one bit.
TEST_F(ExtensionTest, ASignatureOverAnotherRootHashFailsVerification) {
  Bytes image = good_->image;
  const uint64_t off = Offset(*good_, gpt::Role::kRootVeritySig);
  ASSERT_OK_AND_ASSIGN(auto sig,
                       verity::DecodeSignaturePartition(ByteSpan(image).subspan(off, 4096)));
  Bytes root = sig.root_hash;
  root[5] ^= 0x01;
  ASSERT_OK_AND_ASSIGN(auto cert, crypto::Certificate::Load(Dir() + "/keys/verity.crt"));
  ASSERT_OK_AND_ASSIGN(Bytes part, verity::EncodeSignaturePartition(root, sig.signature, cert));
  ASSERT_EQ(part.size(), 4096u);
  std::copy(part.begin(), part.end(), image.begin() + off);
  EXPECT_ERROR(Verify(image, Trust()), ErrorCode::kVerifyFailed);
}

// A valid signature, by the trusted key, over a root hash that is not the
// one the partitions' UUIDs spell (another extension's signature partition).
TEST_F(ExtensionTest, ASignedRootHashThatDoesNotNameThePartitionsIsRefused) {
  ASSERT_OK_AND_ASSIGN(Made other, Make("other", sysext::Compatibility::Kind::kSysextLevel, "12"));
  ASSERT_NE(other.root_hash, good_->root_hash);
  Bytes image = good_->image;
  const uint64_t to = Offset(*good_, gpt::Role::kRootVeritySig);
  const uint64_t from = Offset(other, gpt::Role::kRootVeritySig);
  std::copy(other.image.begin() + from, other.image.begin() + from + 4096, image.begin() + to);
  auto r = Verify(image, Trust());
  EXPECT_ERROR(r, ErrorCode::kVerifyFailed);
  EXPECT_NE(r.error().ToString().find("does not name its root and root-verity"), std::string::npos)
      << r.error().ToString();
}

TEST_F(ExtensionTest, AFlippedDataByteIsRefusedByTheContentCheck) {
  Bytes image = good_->image;
  image[Offset(*good_, gpt::Role::kRoot) + 4096 + 17] ^= 0x40;
  // The metadata checks do not read the data...
  EXPECT_OK(Verify(image, Trust()));
  // ...the full tree check does.
  Status st = Content(image);
  EXPECT_ERROR(st, ErrorCode::kVerifyFailed);
  EXPECT_NE(st.error().ToString().find("data block 1 "), std::string::npos)
      << st.error().ToString();
}

TEST_F(ExtensionTest, AFlippedTreeByteIsRefusedByTheContentCheck) {
  Bytes image = good_->image;
  image[Offset(*good_, gpt::Role::kRootVerity) + 4096 + 3] ^=
      0x01;  // level 0, after the superblock
  EXPECT_ERROR(Content(image), ErrorCode::kVerifyFailed);
}

// Little-endian store into the image (the superblock's fields).
void PutLe(Bytes& b, uint64_t at, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b[at + i] = uint8_t(v >> (8 * i));
}

TEST_F(ExtensionTest, HostileOrTruncatedBytesAreCorrupt) {
  const uint64_t verity = Offset(*good_, gpt::Role::kRootVerity);
  const uint64_t sig = Offset(*good_, gpt::Role::kRootVeritySig);
  struct Case {
    const char* what;
    std::function<void(Bytes&)> damage;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"truncated to its first 4 KiB", [](Bytes& b) { b.resize(4096); },
       "extension cni: GPT: truncated image"},
      {"truncated before the signature partition", [&](Bytes& b) { b.resize(sig); },
       "extension cni: GPT: truncated image"},
      {"empty", [](Bytes& b) { b.clear(); }, "extension cni: GPT: truncated image"},
      {"primary GPT header byte flipped, backup cut off",
       [](Bytes& b) {
         b[512 + 20] ^= 1;
         b.resize(b.size() - 512);
       },
       "extension cni: GPT: primary header: header CRC mismatch"},
      {"verity superblock magic", [&](Bytes& b) { b[verity] = 'X'; },
       "extension cni: no verity superblock"},
      {"verity superblock data_blocks beyond the root partition",
       [&](Bytes& b) { PutLe(b, verity + 0x48, ~uint64_t(0), 8); },
       "do not fit the root partition"},
      {"verity superblock data_blocks 0", [&](Bytes& b) { PutLe(b, verity + 0x48, 0, 8); },
       "extension cni: verity superblock has 0 data blocks"},
      {"signature partition not JSON", [&](Bytes& b) { b[sig] = '['; },
       "extension cni: verity signature partition is not a JSON object"},
      {"signature partition zeroed", [&](Bytes& b) { std::fill_n(b.begin() + sig, 4096, 0); },
       "extension cni: verity signature partition is not a JSON object"},
  };
  for (const Case& c : cases) {
    Bytes image = good_->image;
    c.damage(image);
    auto r = Verify(image, Trust());
    EXPECT_ERROR(r, ErrorCode::kCorrupt) << c.what;
    if (!r.ok()) {
      EXPECT_THAT(r.error().ToString(), HasSubstr(c.message)) << c.what;
    }
  }
}

// Check 6 on its own (slot::CheckExtensionTree), over the good image's
// superblock and hand-picked partition sizes: the image's root-verity
// partition is as large as its root partition, so no superblock edit makes
// the tree outgrow it within the image.
TEST_F(ExtensionTest, TreeCheckAlone) {
  const uint64_t verity = Offset(*good_, gpt::Role::kRootVerity);
  const ByteSpan sb(good_->image.data() + verity, 512);
  ASSERT_OK_AND_ASSIGN(auto ext, Verify(good_->image, Trust()));
  const uint64_t data = ext.params.data_blocks * 4096;
  EXPECT_OK(CheckExtensionTree("cni", sb, data, ext.verity_bytes));
  EXPECT_THAT(CheckExtensionTree("cni", sb, data - 1, ext.verity_bytes).error().ToString(),
              HasSubstr("do not fit the root partition"));
  // The superblock's block, then one level-0 hash block at least.
  EXPECT_THAT(CheckExtensionTree("cni", sb, data, 4096).error().ToString(),
              HasSubstr("the hash tree does not fit the root-verity partition"));
  EXPECT_ERROR(CheckExtensionTree("cni", sb.subspan(0, 100), data, ext.verity_bytes),
               ErrorCode::kCorrupt);
}

// `hull sysext verify` runs these checks on the host: exit 0 verified, 1
// refused or failed verification (README's exit status table).
TEST_F(ExtensionTest, HullSysextVerifyExitsAsTheNodeJudges) {
  const char* bin = std::getenv("HULL_BIN");
  ASSERT_NE(bin, nullptr);
  ASSERT_OK_AND_ASSIGN(Made other,
                       Make("cni", sysext::Compatibility::Kind::kSysextLevel, "12", "other"));
  Bytes flipped = good_->image;
  flipped[Offset(*good_, gpt::Role::kRoot) + 17] ^= 0x01;
  const std::pair<const Bytes*, int> cases[] = {
      {&good_->image, 0}, {&other.image, 1}, {&flipped, 1}};
  for (const auto& [image, want] : cases) {
    const std::string path = Dir() + "/cni_1.1.1-2_amd64.raw";
    ASSERT_OK(WriteFileAtomic(path, *image));
    auto r = RunAllowFailure(
        Command{.argv = {bin, "sysext", "verify", path, "--cert", Dir() + "/keys/verity.crt"}});
    ASSERT_OK(r);
    EXPECT_EQ(r->exit_code, want) << r->out << r->err;
  }
}

TEST(ExtensionTop, HoldsTheDirectoryUsrOnly) {
  EXPECT_OK(CheckExtensionTop("cni", {{"usr", true}}));
  struct Case {
    std::vector<TopEntry> top;
    const char* says;
  };
  const std::vector<Case> refused = {
      {{}, "no usr/ at its top"},
      {{{"lib", true}, {"bin", true}}, "holds /lib/ at its top"},
      {{{"usr", true}, {"etc", true}}, "holds /etc/ at its top"},
      {{{"usr", false}}, "holds /usr (not a directory)"},
      {{{"usr", true}, {"run.sh", false}}, "holds /run.sh (not a directory)"},
  };
  for (const Case& c : refused) {
    Status st = CheckExtensionTop("cni", c.top);
    EXPECT_ERROR(st, ErrorCode::kRefused) << c.says;
    if (!st.ok()) {
      EXPECT_THAT(st.error().ToString(), HasSubstr(c.says));
    }
  }
}

TEST(ExtensionRelease, IsHeldToTheBootedOs) {
  const std::string os =
      "ID=hull\nIMAGE_VERSION=202612.05.0\nVERSION_ID=202612.05.0\nSYSEXT_LEVEL=12\n";
  const gpt::Arch x86 = gpt::Arch::kX86_64;
  EXPECT_OK(
      CheckExtensionRelease("cni", "ID=hull\nSYSEXT_LEVEL=12\nARCHITECTURE=x86-64\n", os, x86));
  EXPECT_OK(CheckExtensionRelease("cni", "ID=hull\nVERSION_ID=202612.05.0\nARCHITECTURE=x86-64\n",
                                  os, x86));
  struct Case {
    const char* ext;
    const char* says;
  };
  const std::vector<Case> refused = {
      {"ID=debian\nSYSEXT_LEVEL=12\nARCHITECTURE=x86-64\n", "built for ID=debian"},
      {"SYSEXT_LEVEL=12\nARCHITECTURE=x86-64\n", "built for ID=(none)"},
      {"ID=hull\nSYSEXT_LEVEL=13\nARCHITECTURE=x86-64\n",
       "SYSEXT_LEVEL=13, this node has SYSEXT_LEVEL=12"},
      {"ID=hull\nVERSION_ID=202612.06.0\nARCHITECTURE=x86-64\n",
       "VERSION_ID=202612.06.0, this node has VERSION_ID=202612.05.0"},
      {"ID=hull\nARCHITECTURE=x86-64\n", "VERSION_ID=(none)"},
      {"ID=hull\nSYSEXT_LEVEL=12\nARCHITECTURE=arm64\n", "ARCHITECTURE=arm64"},
      {"ID=hull\nSYSEXT_LEVEL=12\n", "ARCHITECTURE=(none)"},
      {"ID=hull\nID=other\nSYSEXT_LEVEL=12\nARCHITECTURE=x86-64\n", "ID=other"},
  };
  for (const Case& c : refused) {
    Status st = CheckExtensionRelease("cni", c.ext, os, x86);
    EXPECT_ERROR(st, ErrorCode::kRefused) << c.ext;
    if (!st.ok()) {
      EXPECT_NE(st.error().ToString().find(c.says), std::string::npos) << st.error().ToString();
    }
  }
  // An OS without SYSEXT_LEVEL takes no level-bound extension.
  EXPECT_ERROR(CheckExtensionRelease("cni", "ID=hull\nSYSEXT_LEVEL=12\nARCHITECTURE=x86-64\n",
                                     "ID=hull\nVERSION_ID=1\n", x86),
               ErrorCode::kRefused);
}

}  // namespace
}  // namespace hull::slot
