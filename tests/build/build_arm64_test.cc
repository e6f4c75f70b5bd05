// `hull build` of the arm64 default (specs/immutable-arm64.yaml) on this
// amd64 host: packages composed for arm64 (maintainer scripts under
// qemu-user-static, scripts/binfmt.sh), the cross-built hull-init and
// hull-agent, Debian's aarch64 systemd-boot and systemd-stub. Two builds with
// one SOURCE_DATE_EPOCH give the same bytes, and independent tools read what
// was built: sfdisk (the DPS aarch64 partition types, from the Discoverable
// Partitions Specification), aarch64-linux-gnu-objdump (the UKI and
// BOOTAA64.EFI are AArch64 PE32+ files), mtools (the ESP's removable-media
// path for AArch64) and sbverify (both signed with db). vm-slow: the first
// compose of the arm64 packages under qemu-user takes about 25 min here; the
// cache under the build tree keeps later runs short.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "base/file.h"
#include "base/subprocess.h"
#include "support/status_matchers.h"

namespace hull {
namespace {
namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kEpoch[] = "SOURCE_DATE_EPOCH=1764028800";

Result<ProcessOutput> Sh(const std::string& dir, const std::string& script) {
  return RunAllowFailure(Command{.argv = {"sh", "-ec", script},
                                 .env = {kEpoch},
                                 .cwd = dir,
                                 .timeout = std::chrono::minutes(60)});
}

TEST(BuildArm64, ReproducibleAarch64ImageReadByIndependentTools) {
  const std::string src = std::getenv("HULL_SOURCE_DIR");
  const std::string hull = std::getenv("HULL_BIN");
  ASSERT_OK_AND_ASSIGN(ProcessOutput binfmt, Sh(".", "bash " + src + "/scripts/binfmt.sh arm64"));
  ASSERT_EQ(binfmt.exit_code, 0) << binfmt.err;
  ASSERT_OK_AND_ASSIGN(TempDir tmp, TempDir::Create("hull-build-arm64"));
  const std::string d = tmp.path();
  ASSERT_OK_AND_ASSIGN(ProcessOutput keys, Sh(d, hull + " keys init keys"));
  ASSERT_EQ(keys.exit_code, 0) << keys.err;
  for (const char* out : {"a", "b"}) {
    ASSERT_OK_AND_ASSIGN(
        ProcessOutput b,
        Sh(d, hull + " build " + src + "/specs/immutable-arm64.yaml --keys keys --version " +
                  "202511.25.0 --cache " + HULL_ARM64_CACHE + " --out " + out));
    ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  }
  const std::string raw = "HullImmutable_202511.25.0.raw";
  const std::string uki = "hull_202511.25.0+3.efi";
  // reproducible: the same bytes twice
  ASSERT_OK_AND_ASSIGN(ProcessOutput same,
                       Sh(d, "cmp a/" + raw + " b/" + raw + " && cmp a/" + uki + " b/" + uki));
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;

  ASSERT_OK_AND_ASSIGN(ProcessOutput table, Sh(d, "sfdisk --dump a/" + raw));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  // DPS: usr, usr verity, usr verity signature and root for 64-bit ARM
  for (const char* type :
       {"B0E01050-EE5F-4390-949A-9101B17104E9", "6E11A4E7-FBCA-4DED-B9E9-E1A512BB664E",
        "C23CE4FF-44BD-4B00-B2D4-B41B3419E02A", "B921B045-1DF0-41C3-AF44-4C6F280D3FAE"}) {
    EXPECT_THAT(table.out, HasSubstr(std::string("type=") + type)) << table.out;
  }
  EXPECT_THAT(table.out, ::testing::Not(HasSubstr("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709")))
      << "an x86-64 root partition type";

  ASSERT_OK_AND_ASSIGN(
      ProcessOutput efi,
      Sh(d, "start=$(sfdisk --json a/" + raw +
                " | jq '.partitiontable.partitions[] | select(.name==\"ESP\") | .start'); "
                "mcopy -n -i a/" +
                raw +
                "@@$((start * 512)) ::/EFI/BOOT/BOOTAA64.EFI boot.efi; "
                "aarch64-linux-gnu-objdump -f boot.efi a/" +
                uki + "; sbverify --cert keys/db.crt boot.efi; sbverify --cert keys/db.crt a/" +
                uki));
  EXPECT_EQ(efi.exit_code, 0) << efi.out << efi.err;
  EXPECT_THAT(efi.out, HasSubstr("boot.efi:     file format pei-aarch64-little"));
  EXPECT_THAT(efi.out, HasSubstr(uki + ":     file format pei-aarch64-little"));
  EXPECT_THAT(efi.out + efi.err, HasSubstr("Signature verification OK"));
}

}  // namespace
}  // namespace hull
