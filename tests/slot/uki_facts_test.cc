// ReadUkiFacts reads usrhash= by the node contract's one rule
// (node/usrhash.h): either case, kept in lowercase, so an entry whose UKI
// spells its hash in capitals still names its slot; a malformed one is an
// error, not an entry without a hash.
#include <gtest/gtest.h>

#include "base/file.h"
#include "slot/state.h"
#include "support/status_matchers.h"
#include "uki/uki.h"

namespace hull::slot {
namespace {

using ::hull::testing::ErrorIs;
using ::testing::HasSubstr;

constexpr const char* kStub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub";
// SHA-256 of the empty string (`sha256sum </dev/null`).
constexpr const char* kHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Result<Bytes> Uki(const std::string& cmdline) {
  uki::UkiInputs in;
  HULL_ASSIGN_OR_RETURN(in.stub, ReadFileBytes(kStub));
  in.linux_image = Bytes(4096, 0x4c);
  in.cmdline.assign(cmdline.begin(), cmdline.end());
  std::string osrel = "ID=hull\nIMAGE_VERSION=202611.20.1\n";
  in.os_release.assign(osrel.begin(), osrel.end());
  return uki::BuildUki(in);
}

TEST(UkiFacts, UsrhashIsNormalizedToLowercase) {
  std::string upper = kHash;
  for (char& c : upper)
    if (c >= 'a' && c <= 'f') c = char(c - 'a' + 'A');
  ASSERT_OK_AND_ASSIGN(Bytes uki, Uki("usrhash=" + upper + " rw"));
  ASSERT_OK_AND_ASSIGN(UkiFacts f, ReadUkiFacts(uki));
  EXPECT_EQ(f.usrhash, kHash);
  EXPECT_EQ(f.version, "202611.20.1");
}

TEST(UkiFacts, AbsentUsrhashIsEmptyAndMalformedIsAnError) {
  ASSERT_OK_AND_ASSIGN(Bytes none, Uki("rw console=ttyS0"));
  ASSERT_OK_AND_ASSIGN(UkiFacts f, ReadUkiFacts(none));
  EXPECT_EQ(f.usrhash, "");
  // 32 bytes of a 64-byte hash: hull-init accepted it before, the agent did not.
  ASSERT_OK_AND_ASSIGN(Bytes bad, Uki(std::string("usrhash=") + kHash + kHash));
  EXPECT_THAT(ReadUkiFacts(bad), ErrorIs(ErrorCode::kInvalidArgument,
                                         HasSubstr("usrhash=: 128 characters, expected 64")));
}

}  // namespace
}  // namespace hull::slot
