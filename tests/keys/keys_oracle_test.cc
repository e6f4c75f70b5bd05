// hull keys ovmf-vars against efitools and Debian's OVMF template, live:
// the store holds PK, KEK and db whose EFI_SIGNATURE_LISTs are byte for byte
// what cert-to-efi-sig-list makes of our certificates (found in the raw file
// without our parser too), the whole store is byte for byte what efitools'
// flash-var writes into the same template, and the CLI refuses to overwrite
// keys with exit 2. The AAVMF store (--arch arm64): its volume and
// fault-tolerant-write headers are byte for byte those of Debian's
// AAVMF_VARS.ms.fd (a store the ArmVirtQemu format was written into by
// Debian's build, not by Hull), and its variables are flash-var's too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "base/file.h"
#include "base/subprocess.h"
#include "crypto/key.h"
#include "keys/keys.h"
#include "keys/varstore.h"
#include "support/status_matchers.h"

namespace hull::keys {
namespace {

bool Contains(const Bytes& hay, const Bytes& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

TEST(KeysOracle, OvmfVarsEnrolsPkKekDb) {
  const char* hull = std::getenv("HULL_BIN");
  ASSERT_NE(hull, nullptr);
  auto dir = TempDir::Create("keys-oracle");
  ASSERT_OK(dir);
  std::string k = dir->path() + "/keys", vars = dir->path() + "/vars.fd";
  ASSERT_OK(hull::Run(Command{.argv = {hull, "keys", "init", k}}));
  auto again = hull::RunAllowFailure(Command{.argv = {hull, "keys", "init", k}});
  ASSERT_OK(again);
  EXPECT_EQ(again->exit_code, 2);
  EXPECT_EQ(again->err, "hull: keys init: '" + k + "/PK.key' exists: refusing to overwrite\n");

  auto r = hull::Run(Command{.argv = {hull, "keys", "ovmf-vars", k, "--out", vars},
                             .env = {"SOURCE_DATE_EPOCH=1764547200"}});
  ASSERT_OK(r);
  Bytes image = *ReadFileBytes(vars);
  EXPECT_EQ(image.size(), std::filesystem::file_size(kDefaultVarsTemplate));
  auto list = ReadVariableStore(image);
  ASSERT_OK(list);
  for (const char* name : {"PK", "KEK", "db"}) {
    SCOPED_TRACE(name);
    std::string esl = dir->path() + "/" + name + ".esl";
    ASSERT_OK(hull::Run(Command{
        .argv = {"cert-to-efi-sig-list", "-g", kHullOwnerGuid, k + "/" + name + ".crt", esl}}));
    Bytes expected = *ReadFileBytes(esl);
    EXPECT_TRUE(Contains(image, expected));  // independent of ReadVariableStore
    auto v = std::find_if(list->begin(), list->end(),
                          [&](const EfiVariable& e) { return e.name == name; });
    ASSERT_NE(v, list->end());
    EXPECT_EQ(v->data, expected);
    EXPECT_EQ(v->state, kVarAdded);
    // NV + BS + RT + time-based authenticated write access.
    EXPECT_EQ(v->attributes, 0x27u);
    auto cert = crypto::Certificate::Load(k + "/" + name + ".crt");
    EXPECT_EQ(*X509FromSignatureLists(v->data), std::vector<Bytes>{cert->ToDer()});
  }
  // Same keys and SOURCE_DATE_EPOCH: the same store.
  std::string vars2 = dir->path() + "/vars2.fd";
  ASSERT_OK(hull::Run(Command{.argv = {hull, "keys", "ovmf-vars", k, "--out", vars2},
                              .env = {"SOURCE_DATE_EPOCH=1764547200"}}));
  EXPECT_EQ(*ReadFileBytes(vars2), image);
}

constexpr char kEpoch[] = "SOURCE_DATE_EPOCH=1764547200";

// efitools writing PK, KEK and db into a copy of `tmpl`, as the reference.
Bytes FlashVarOf(const std::string& tmpl, const std::string& k, const std::string& dir) {
  const std::string flash = dir + "/flash-var.fd";
  std::filesystem::copy_file(tmpl, flash, std::filesystem::copy_options::overwrite_existing);
  for (const char* name : {"PK", "KEK", "db"}) {
    const std::string esl = dir + "/" + name + ".esl";
    EXPECT_OK(hull::Run(Command{
        .argv = {"cert-to-efi-sig-list", "-g", kHullOwnerGuid, k + "/" + name + ".crt", esl}}));
    // 1764547200 = 2025-12-01 00:00:00 UTC (date -u -d @1764547200).
    EXPECT_OK(
        hull::Run(Command{.argv = {"flash-var", "-t", "2025-12-01 00:00:00", flash, name, esl}}));
  }
  auto b = ReadFileBytes(flash, 128 << 20);
  return b.ok() ? *b : Bytes();
}

TEST(KeysOracle, OvmfStoreIsWhatFlashVarWrites) {
  const char* hull = std::getenv("HULL_BIN");
  ASSERT_NE(hull, nullptr);
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::Create("keys-oracle"));
  const std::string k = dir.path() + "/keys", vars = dir.path() + "/vars.fd";
  ASSERT_OK(hull::Run(Command{.argv = {hull, "keys", "init", k}}));
  ASSERT_OK(
      hull::Run(Command{.argv = {hull, "keys", "ovmf-vars", k, "--out", vars}, .env = {kEpoch}}));
  Bytes ours = *ReadFileBytes(vars);
  Bytes theirs = FlashVarOf(kDefaultVarsTemplate, k, dir.path());
  ASSERT_EQ(ours.size(), theirs.size());
  EXPECT_TRUE(ours == theirs) << "first difference at byte "
                              << std::mismatch(ours.begin(), ours.end(), theirs.begin()).first -
                                     ours.begin();
}

TEST(KeysOracle, ArmVirtStoreIsDebiansFormatWithFlashVarsVariables) {
  const char* hull = std::getenv("HULL_BIN");
  ASSERT_NE(hull, nullptr);
  ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::Create("keys-oracle"));
  const std::string k = dir.path() + "/keys", vars = dir.path() + "/aavmf.fd";
  ASSERT_OK(hull::Run(Command{.argv = {hull, "keys", "init", k}}));
  ASSERT_OK(hull::Run(Command{
      .argv = {hull, "keys", "ovmf-vars", k, "--arch", "arm64", "--out", vars}, .env = {kEpoch}}));
  Bytes ours = *ReadFileBytes(vars, 128 << 20);
  ASSERT_EQ(ours.size(), kArmVirtFlashSize);
  // The headers as in Debian's Microsoft-keys store: volume and variable
  // store header (0x00..0x64), fault-tolerant-write working block header.
  ASSERT_OK_AND_ASSIGN(Bytes debian, ReadFileBytes("/usr/share/AAVMF/AAVMF_VARS.ms.fd", 128 << 20));
  ASSERT_EQ(debian.size(), kArmVirtFlashSize);
  EXPECT_EQ(Bytes(ours.begin(), ours.begin() + 0x64), Bytes(debian.begin(), debian.begin() + 0x64));
  EXPECT_EQ(Bytes(ours.begin() + kArmVirtBlockSize, ours.begin() + kArmVirtBlockSize + 32),
            Bytes(debian.begin() + kArmVirtBlockSize, debian.begin() + kArmVirtBlockSize + 32));
  // The variables: efitools' flash-var into the same formatted store.
  Bytes blank(kArmVirtFlashSize, 0);  // Debian's AAVMF_VARS.fd is all zeros
  ASSERT_OK(FormatArmVirtVarStore(blank));
  ASSERT_OK(WriteFileAtomic(dir.path() + "/blank.fd", blank));
  Bytes theirs = FlashVarOf(dir.path() + "/blank.fd", k, dir.path());
  ASSERT_EQ(ours.size(), theirs.size());
  EXPECT_TRUE(ours == theirs) << "first difference at byte "
                              << std::mismatch(ours.begin(), ours.end(), theirs.begin()).first -
                                     ours.begin();
  auto list = ReadVariableStore(ours);
  ASSERT_OK(list);
  std::vector<std::string> names;
  for (const auto& v : *list) names.push_back(v.name);
  EXPECT_EQ(names, (std::vector<std::string>{"PK", "KEK", "db"}));
}

}  // namespace
}  // namespace hull::keys
