// Oracle tests of `hull disk iso`: xorriso finds the El Torito EFI boot image
// at the ESP, sgdisk and sfdisk read the GPT, blkid sees both the ISO 9660
// volume and the GPT, every partition holds the source image's bytes (cmp),
// and two runs give the same bytes.
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/subprocess.h"
#include "support/status_matchers.h"

namespace hull::disk {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

std::string HullBin() {
  const char* b = std::getenv("HULL_BIN");
  return b ? b : "hull";
}

class IsoOracle : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<TempDir>(std::move(TempDir::Create("iso-oracle").value()));
  }
  std::string P(const std::string& n) const { return dir_->path() + "/" + n; }
  void WriteText(const std::string& n, const std::string& text) {
    fs::create_directories(fs::path(P(n)).parent_path());
    std::ofstream(P(n)) << text;
  }
  std::string Must(std::vector<std::string> argv) {
    auto r = hull::Run(Command{
        .argv = std::move(argv), .env = {"SOURCE_DATE_EPOCH=1700000000"}, .cwd = dir_->path()});
    EXPECT_OK(r);
    return r.ok() ? r->out : "";
  }
  // A disk shaped as `hull build` makes it (A and B slots, root), with
  // distinct random content in every partition.
  void MakeImage() {
    WriteText("esp/EFI/BOOT/BOOTX64.EFI", "stand-in for systemd-boot\n");
    WriteText("esp/EFI/Linux/hull.efi", "stand-in for the UKI\n");
    for (const char* n : {"usr", "verity", "sig", "root"})
      Must({"dd", "if=/dev/urandom", std::string("of=") + n + ".img", "bs=64K", "count=40",
            "status=none"});
    WriteText("layout.yaml",
              "seed: iso\npartitions:\n"
              "  - {type: esp, label: ESP, size: 40MiB, content-dir: esp, format: vfat}\n"
              "  - {type: usr, label: usr_1, size: 5MiB, content: usr.img}\n"
              "  - {type: usr-verity, label: usr_1_verity, content: verity.img}\n"
              "  - {type: usr-verity-sig, label: usr_1_verity_sig, content: sig.img}\n"
              "  - {type: usr, label: usr_b, size: 5MiB}\n"
              "  - {type: usr-verity, label: usr_b_verity, size: 3MiB}\n"
              "  - {type: usr-verity-sig, label: usr_b_verity_sig, size: 3MiB}\n"
              "  - {type: root, label: root, content: root.img}\n");
    Must({HullBin(), "disk", "create", "layout.yaml", "--out", "disk.raw"});
  }
  // sfdisk's view: partition name -> {start sector, sectors}.
  std::map<std::string, std::pair<uint64_t, uint64_t>> Partitions(const std::string& image) {
    auto j = nlohmann::json::parse(Must({"sfdisk", "--json", image}));
    EXPECT_EQ(j["partitiontable"]["label"], "gpt");
    EXPECT_EQ(j["partitiontable"]["sectorsize"], 512);
    std::map<std::string, std::pair<uint64_t, uint64_t>> m;
    for (const auto& p : j["partitiontable"]["partitions"])
      m[p["name"].get<std::string>()] = {p["start"].get<uint64_t>(), p["size"].get<uint64_t>()};
    return m;
  }
  std::unique_ptr<TempDir> dir_;
};

TEST_F(IsoOracle, ElToritoGptAndContents) {
  MakeImage();
  Must({HullBin(), "disk", "iso", "disk.raw", "--out", "x.iso"});
  auto iso = Partitions("x.iso");
  ASSERT_EQ(iso.size(), 5u);
  ASSERT_TRUE(iso.count("ESP"));
  EXPECT_EQ(iso["ESP"].first, 2048u);  // 1 MiB
  // xorriso reads the boot catalog: one UEFI no-emulation image at the ESP
  // (2048-byte block 512), its size capped at 0xFFFF 512-byte sectors.
  std::string report = Must({"xorriso", "-indev", "x.iso", "-report_el_torito", "plain"});
  EXPECT_THAT(report, HasSubstr("El Torito catalog  : 19  1"));
  EXPECT_THAT(report, MatchesRegex("(.|\n)*El Torito boot img :   1  UEFI  y   none  0x0000  0x00"
                                   "  65535 +512(.|\n)*"));
  EXPECT_THAT(Must({"sgdisk", "-v", "x.iso"}), HasSubstr("No problems found"));
  std::string blkid = Must({"blkid", "-p", "-o", "export", "x.iso"});
  EXPECT_THAT(blkid, HasSubstr("TYPE=iso9660"));
  EXPECT_THAT(blkid, HasSubstr("LABEL=HULL_USR_1"));
  // The medium's partitions hold the source's bytes; the B slot is absent and
  // the root is a linux-generic template.
  auto raw = Partitions("disk.raw");
  for (const char* n : {"ESP", "usr_1", "usr_1_verity", "usr_1_verity_sig"}) {
    ASSERT_TRUE(iso.count(n)) << n;
    ASSERT_EQ(iso[n].second, raw[n].second) << n;
    Must({"cmp", "-n", std::to_string(raw[n].second * 512),
          "--ignore-initial=" + std::to_string(raw[n].first * 512) + ":" +
              std::to_string(iso[n].first * 512),
          "disk.raw", "x.iso"});
  }
  ASSERT_TRUE(iso.count("hull-root-image"));
  Must({"cmp", "-n", std::to_string(raw["root"].second * 512),
        "--ignore-initial=" + std::to_string(raw["root"].first * 512) + ":" +
            std::to_string(iso["hull-root-image"].first * 512),
        "disk.raw", "x.iso"});
  EXPECT_FALSE(iso.count("usr_b"));
  EXPECT_THAT(Must({"sfdisk", "--part-type", "x.iso", "5"}),
              HasSubstr("0FC63DAF-8483-4772-8E79-3D69D8477DE4"));
}

TEST_F(IsoOracle, Reproducible) {
  MakeImage();
  Must({HullBin(), "disk", "iso", "disk.raw", "--out", "a.iso"});
  Must({HullBin(), "disk", "iso", "disk.raw", "--out", "b.iso"});
  Must({"cmp", "a.iso", "b.iso"});
}

TEST_F(IsoOracle, NotAnImageLeavesNothing) {
  WriteText("junk.raw", std::string(1 << 20, 'x'));
  auto r = hull::Run(Command{.argv = {HullBin(), "disk", "iso", "junk.raw", "--out", "x.iso"},
                             .cwd = dir_->path()});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().ToString(), HasSubstr("protective MBR"));
  EXPECT_FALSE(fs::exists(P("x.iso")));
}

}  // namespace
}  // namespace hull::disk
