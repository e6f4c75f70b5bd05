// Oracle tests of `hull disk iso`: xorriso finds the El Torito EFI boot image
// at the ESP, sgdisk and sfdisk read the GPT, blkid sees both the ISO 9660
// volume and the GPT, every partition holds the source image's bytes (cmp),
// and two runs give the same bytes. With --seed, sfdisk finds the hull-seed
// partition after the root template holding the seed's bytes and zeros, and
// a seed the installer would refuse is refused with no medium written.
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

// `--seed`: the medium gains a sixth partition, hull-seed, 1 MiB on a 1 MiB
// boundary after the root template, holding the seed file's bytes and then
// zeros; everything else is where the unseeded medium has it, and the medium
// is still reproducible and readable by xorriso and sgdisk.
TEST_F(IsoOracle, SeedPartition) {
  MakeImage();
  const std::string seed =
      R"({"hull_seed": 1, "target": "serial:DISK1", "after": "reboot",)"
      R"( "users": [{"name": "ops", "ssh_authorized_keys": ["ssh-ed25519 AAAAC3Nza ops@x"]}]})"
      "\n";
  WriteText("seed.json", seed);
  Must({HullBin(), "disk", "iso", "disk.raw", "--out", "plain.iso"});
  Must({HullBin(), "disk", "iso", "disk.raw", "--seed", "seed.json", "--out", "a.iso"});
  Must({HullBin(), "disk", "iso", "disk.raw", "--seed", "seed.json", "--out", "b.iso"});
  Must({"cmp", "a.iso", "b.iso"});
  auto plain = Partitions("plain.iso"), seeded = Partitions("a.iso");
  ASSERT_EQ(seeded.size(), 6u);
  for (const auto& [name, where] : plain) EXPECT_EQ(seeded[name], where) << name;
  ASSERT_TRUE(seeded.count("hull-seed"));
  const auto [start, sectors] = seeded["hull-seed"];
  EXPECT_EQ(sectors, 2048u);
  EXPECT_EQ(start % 2048, 0u);
  EXPECT_GT(start, plain["hull-root-image"].first + plain["hull-root-image"].second - 1);
  EXPECT_THAT(Must({"sfdisk", "--part-type", "a.iso", "6"}),
              HasSubstr("0FC63DAF-8483-4772-8E79-3D69D8477DE4"));
  EXPECT_THAT(Must({"sgdisk", "-v", "a.iso"}), HasSubstr("No problems found"));
  EXPECT_THAT(Must({"xorriso", "-indev", "a.iso", "-report_el_torito", "plain"}),
              HasSubstr("El Torito boot img :   1  UEFI  y"));
  // The partition: the seed's bytes, then zeros to its end (cmp against
  // /dev/zero stops at EOF of the cut: "EOF on -" means all equal).
  Must({"dd", "if=a.iso", "of=seed.part", "bs=512", "skip=" + std::to_string(start),
        "count=" + std::to_string(sectors), "status=none"});
  Must({"cmp", "-n", std::to_string(seed.size()), "seed.json", "seed.part"});
  auto rest = hull::Run(Command{.argv = {"sh", "-c",
                                         "tail -c +" + std::to_string(seed.size() + 1) +
                                             " seed.part | cmp - /dev/zero 2>&1; true"},
                                .cwd = dir_->path()});
  ASSERT_OK(rest);
  EXPECT_THAT(rest->out, HasSubstr("EOF on -"));
}

// A seed the installer would refuse is refused before anything is written:
// one line naming the file and the field, exit 2, no medium.
TEST_F(IsoOracle, BadSeedLeavesNothing) {
  MakeImage();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"hull_seed": 1, "target": "empty", "colour": "red"})", "'colour': unknown key"},
      {R"({"hull_seed": 1, "target": "empty", "users": [{"name": "Root!"}]})",
       "'users[0].name': must be a user name"},
      {R"({"hull_seed": 2, "target": "empty"})", "'hull_seed': must be 1"},
      {R"({"hull_seed": 1, "target": "empty", "target": "/dev/vda"})", "given twice"},
      {R"({"hull_seed": 1, "target": "empty", "update": {"boot_tries": "x"}})", "seed: 'update'"},
      {"{\"hull_seed\": 1, \"target\": \"empty\"}" + std::string(1, '\0'), "NUL byte"},
      {"{\"hull_seed\": 1, \"target\": \"empty\", \"wipe\": true" + std::string(70000, ' ') + "}",
       "seed"},
      {"not json", "not valid JSON"}};
  for (const auto& [text, want] : cases) {
    {
      std::ofstream f(P("bad.json"), std::ios::binary | std::ios::trunc);
      f.write(text.data(), std::streamsize(text.size()));
    }
    auto r = hull::RunAllowFailure(Command{
        .argv = {HullBin(), "disk", "iso", "disk.raw", "--seed", "bad.json", "--out", "x.iso"},
        .cwd = dir_->path()});
    ASSERT_OK(r);
    EXPECT_EQ(r->exit_code, 2) << text.substr(0, 80) << ": " << r->err;
    EXPECT_THAT(r->err, HasSubstr(want)) << text.substr(0, 80);
    EXPECT_THAT(r->err, HasSubstr("bad.json")) << text.substr(0, 80);
    EXPECT_EQ(std::count(r->err.begin(), r->err.end(), '\n'), 1) << r->err;
    EXPECT_FALSE(fs::exists(P("x.iso"))) << text.substr(0, 80);
  }
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
