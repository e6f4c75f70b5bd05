// hull keys ovmf-vars against efitools and Debian's OVMF template, live:
// the store holds PK, KEK and db whose EFI_SIGNATURE_LISTs are byte for byte
// what cert-to-efi-sig-list makes of our certificates (found in the raw file
// without our parser too), and the CLI refuses to overwrite keys with exit 2.
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

}  // namespace
}  // namespace hull::keys
