// hull keys: key hierarchy files, tool argv, and the variable store reader.
#include "keys/keys.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <filesystem>

#include "base/file.h"
#include "crypto/key.h"
#include "keys/varstore.h"
#include "support/status_matchers.h"

namespace hull::keys {
namespace {

mode_t Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(Keys, InitWritesHierarchyWithModes) {
  auto dir = TempDir::Create("keys");
  ASSERT_OK(dir);
  std::string d = dir->path() + "/k";
  ASSERT_OK(InitKeys(d));
  for (const char* name : kKeyNames) {
    std::string key_path = d + "/" + name + ".key", crt_path = d + "/" + name + ".crt";
    EXPECT_EQ(Mode(key_path), 0600u) << name;
    EXPECT_EQ(Mode(crt_path), 0644u) << name;
    auto key = crypto::PrivateKey::LoadPem(key_path);
    auto cert = crypto::Certificate::Load(crt_path);
    ASSERT_TRUE(key.ok() && cert.ok()) << name;
    EXPECT_EQ(EVP_PKEY_eq(key->get(), X509_get0_pubkey(cert->get())), 1) << name;
    EXPECT_EQ(EVP_PKEY_get_bits(key->get()), 2048) << name;
    EXPECT_EQ(cert->Subject(), std::string("CN = Hull ") + name);
  }
}

TEST(Keys, InitRefusesToOverwriteAndWritesNothing) {
  auto dir = TempDir::Create("keys");
  ASSERT_OK(dir);
  std::string d = dir->path();
  ASSERT_OK(WriteFileAtomic(d + "/db.crt", "mine"));
  auto st = InitKeys(d);
  ASSERT_ERROR(st, ErrorCode::kAlreadyExists);
  EXPECT_EQ(st.error().message(), "'" + d + "/db.crt' exists: refusing to overwrite");
  EXPECT_FALSE(std::filesystem::exists(d + "/PK.key"));
  EXPECT_EQ(*ReadFileText(d + "/db.crt"), "mine");
}

TEST(Keys, ToolArgv) {
  EXPECT_EQ(CertToEslArgv("k/PK.crt", "w/PK.esl"),
            (std::vector<std::string>{"cert-to-efi-sig-list", "-g", kHullOwnerGuid, "k/PK.crt",
                                      "w/PK.esl"}));
  // 1764547200 = 2025-12-01 00:00:00 UTC (date -u -d @1764547200).
  EXPECT_EQ(SignEslArgv("db", "k/KEK.key", "k/KEK.crt", "db.esl", "db.auth", 1764547200),
            (std::vector<std::string>{"sign-efi-sig-list", "-t", "2025-12-01 00:00:00", "-k",
                                      "k/KEK.key", "-c", "k/KEK.crt", "db", "db.esl", "db.auth"}));
  // A token key: efitools' -e loads -k through that OpenSSL engine.
  EXPECT_EQ(SignEslArgv("db", "pkcs11:object=KEK?pin-value=1", "k/KEK.crt", "db.esl", "db.auth",
                        1764547200, "pkcs11"),
            (std::vector<std::string>{"sign-efi-sig-list", "-t", "2025-12-01 00:00:00", "-e",
                                      "pkcs11", "-k", "pkcs11:object=KEK?pin-value=1", "-c",
                                      "k/KEK.crt", "db", "db.esl", "db.auth"}));
}

// A store image built field by field as VariableFormat.h lays it out.
Bytes StoreWith(const std::string& name, ByteSpan data, uint32_t store_size = 0x200) {
  ByteWriter w;
  w.Zeros(0x48);  // firmware volume header area
  auto guid = Uuid::Parse("aaf32c78-947b-439a-a180-2e144ec37792")->GptBytes();
  w.Append(guid);
  w.Le32(store_size);
  w.U8(0x5A);
  w.U8(0xFE);
  w.Zeros(6);
  w.Le16(0x55AA);
  w.U8(kVarAdded);
  w.U8(0);
  w.Le32(0x27);
  w.Zeros(8 + 16 + 4);
  w.Le32(uint32_t(2 * name.size() + 2));
  w.Le32(uint32_t(data.size()));
  w.Zeros(16);
  for (char c : name) w.Le16(uint16_t(c));
  w.Le16(0);
  w.Append(data);
  w.Zeros(0x400);
  return w.Take();
}

Bytes OneX509List(ByteSpan der) {
  ByteWriter w;
  w.Append(Uuid::Parse("a5c059a1-94e4-4aa7-87b5-ab155c2bf072")->GptBytes());
  w.Le32(uint32_t(28 + 16 + der.size()));
  w.Le32(0);
  w.Le32(uint32_t(16 + der.size()));
  w.Zeros(16);
  w.Append(der);
  return w.Take();
}

TEST(VarStore, ReadsVariablesAndSignatureLists) {
  Bytes der = {0x30, 0x03, 0x02, 0x01, 0x07};
  Bytes esl = OneX509List(der);
  auto vars = ReadVariableStore(StoreWith("db", esl));
  ASSERT_OK(vars);
  ASSERT_EQ(vars->size(), 1u);
  EXPECT_EQ((*vars)[0].name, "db");
  EXPECT_EQ((*vars)[0].attributes, 0x27u);
  auto certs = X509FromSignatureLists((*vars)[0].data);
  ASSERT_OK(certs);
  EXPECT_EQ(*certs, std::vector<Bytes>{der});
}

TEST(VarStore, Errors) {
  auto none = ReadVariableStore(Bytes(4096, 0xFF));
  ASSERT_ERROR(none, ErrorCode::kNotFound);
  auto big = ReadVariableStore(StoreWith("db", Bytes{1}, 0x100000));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().message(), "variable store size 0x100000 runs past the image");
  Bytes esl = OneX509List(Bytes{1, 2, 3});
  StoreLe32(&esl[16], 9999);
  auto bad = X509FromSignatureLists(esl);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "EFI_SIGNATURE_LIST sizes 9999/0/19 do not add up");
}

// StoreWith with its free space erased, as flash is.
Bytes ErasedStoreWith(const std::string& name, ByteSpan data, uint32_t store_size = 0x200) {
  Bytes b = StoreWith(name, data, store_size);
  std::fill(b.begin() + 0x64 + 60 + 2 * name.size() + 2 + data.size(), b.end(), 0xFF);
  return b;
}

TEST(VarStore, AppendVariableAfterTheLastOne) {
  Bytes flash = ErasedStoreWith("db", Bytes{1, 2, 3});
  // 1764547200 = 2025-12-01 00:00:00 UTC (date -u -d @1764547200).
  ASSERT_OK(AppendVariable(flash, {.name = "KEK",
                                   .vendor = *Uuid::Parse("8be4df61-93ca-11d2-aa0d-00e098032b8c"),
                                   .attributes = 0x27,
                                   .timestamp = 1764547200 + 3723,
                                   .data = {9, 8}}));
  auto vars = ReadVariableStore(flash);
  ASSERT_OK(vars);
  ASSERT_EQ(vars->size(), 2u);
  EXPECT_EQ((*vars)[1].name, "KEK");
  EXPECT_EQ((*vars)[1].state, kVarAdded);
  EXPECT_EQ((*vars)[1].attributes, 0x27u);
  EXPECT_EQ((*vars)[1].data, (Bytes{9, 8}));
  // The first variable ends at 0x64 + 60 + 6 + 3 = 0xA9; the next starts at
  // the 4-byte boundary 0xAC, the padding left erased.
  const size_t at = 0xAC;
  EXPECT_EQ(Bytes(flash.begin() + 0xA9, flash.begin() + at), (Bytes{0xFF, 0xFF, 0xFF}));
  EXPECT_EQ(LoadLe16(&flash[at]), 0x55AA);
  EXPECT_EQ(flash[at + 2], kVarAdded);
  EXPECT_EQ(LoadLe64(&flash[at + 8]), 0u);  // MonotonicCount
  // EFI_TIME 2025-12-01 01:02:03, nanoseconds, zone and daylight 0.
  EXPECT_EQ(Bytes(flash.begin() + at + 16, flash.begin() + at + 32),
            (Bytes{0xE9, 0x07, 12, 1, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(LoadLe32(&flash[at + 32]), 0u);  // PubKeyIndex
  EXPECT_EQ(LoadLe32(&flash[at + 36]), 8u);  // NameSize: "KEK" and NUL in UCS-2
  EXPECT_EQ(LoadLe32(&flash[at + 40]), 2u);  // DataSize
  EXPECT_EQ(flash[at + 60 + 8 + 2], 0xFF);   // and nothing after it
}

TEST(VarStore, AppendVariableErrors) {
  Bytes flash = ErasedStoreWith("db", Bytes{1, 2, 3});
  NewVariable v{.name = "db", .attributes = 0x27, .data = Bytes(0x200, 7)};
  auto full = AppendVariable(flash, v);
  ASSERT_ERROR(full, ErrorCode::kInvalidArgument);
  EXPECT_EQ(full.error().message(),
            "no room for variable 'db' (578 bytes) in the store (412 of 512 bytes free)");
  v.data = {1};
  Bytes zeros = StoreWith("db", Bytes{1, 2, 3});  // free space not erased
  auto dirty = AppendVariable(zeros, v);
  ASSERT_ERROR(dirty, ErrorCode::kCorrupt);
  EXPECT_EQ(dirty.error().message(), "the variable store's free space at 0xac is not erased");
  v.name = "d\xC3\xA9";
  EXPECT_ERROR(AppendVariable(flash, v), ErrorCode::kInvalidArgument);
  v.name = "";
  EXPECT_ERROR(AppendVariable(flash, v), ErrorCode::kInvalidArgument);
  v.name = "db";
  v.timestamp = -3000000000;  // 1874
  EXPECT_ERROR(AppendVariable(flash, v), ErrorCode::kInvalidArgument);
  Bytes none(4096, 0xFF);
  EXPECT_ERROR(AppendVariable(none, v), ErrorCode::kNotFound);
}

TEST(VarStore, FormatArmVirtMakesAnEmptyStore) {
  Bytes small(1 << 20, 0);
  auto bad = FormatArmVirtVarStore(small);
  ASSERT_ERROR(bad, ErrorCode::kInvalidArgument);
  Bytes flash(kArmVirtFlashSize, 0);
  ASSERT_OK(FormatArmVirtVarStore(flash));
  auto vars = ReadVariableStore(flash);
  ASSERT_OK(vars);
  EXPECT_TRUE(vars->empty());
  // The volume header's 16-bit words sum to 0 (PI 1.7 vol. 3 §3.2.1).
  uint16_t sum = 0;
  for (size_t i = 0; i < 0x48; i += 2) sum = uint16_t(sum + LoadLe16(&flash[i]));
  EXPECT_EQ(sum, 0);
  EXPECT_EQ(LoadLe64(&flash[0x20]), kArmVirtVolumeSize);
  // The volume after the headers is erased; what follows it is untouched.
  EXPECT_EQ(flash[0x64], 0xFF);
  EXPECT_EQ(flash[kArmVirtVolumeSize - 1], 0xFF);
  EXPECT_EQ(flash[kArmVirtVolumeSize], 0);
  ASSERT_OK(AppendVariable(flash, {.name = "PK", .attributes = 0x27, .data = {1}}));
  EXPECT_EQ(ReadVariableStore(flash)->size(), 1u);
}

}  // namespace
}  // namespace hull::keys
