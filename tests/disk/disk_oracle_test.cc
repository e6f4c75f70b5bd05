// Oracle tests of `hull disk create`: systemd-dissect recognises the DPS
// layout (erofs /usr with a verity partition named by the root hash, vfat ESP,
// root), sgdisk -v is clean, qemu-img accepts qcow2/vhdx/vpc outputs with the
// right virtual size, our VHD geometry and checksum match qemu's own fixed VHD,
// outputs are reproducible and a failed run leaves nothing behind.
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/hex.h"
#include "base/subprocess.h"
#include "disk/image.h"
#include "disk/vhd.h"
#include "gpt/dps.h"
#include "support/status_matchers.h"

namespace hull::disk {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string UpperCase(std::string s) {
  for (char& c : s) c = char(std::toupper(uint8_t(c)));
  return s;
}

std::string HullBin() {
  const char* b = std::getenv("HULL_BIN");
  return b ? b : "hull";
}

class DiskOracle : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<TempDir>(std::move(TempDir::Create("disk-oracle").value()));
  }
  std::string P(const std::string& n) const { return dir_->path() + "/" + n; }
  void WriteText(const std::string& n, const std::string& text) {
    fs::create_directories(fs::path(P(n)).parent_path());
    std::ofstream(P(n)) << text;
  }
  Result<ProcessOutput> Hull(std::vector<std::string> args) {
    args.insert(args.begin(), HullBin());
    return hull::Run(
        Command{.argv = args, .env = {"SOURCE_DATE_EPOCH=1700000000"}, .cwd = dir_->path()});
  }
  std::string Must(std::vector<std::string> argv) {
    auto r = hull::Run(Command{.argv = std::move(argv), .cwd = dir_->path()});
    EXPECT_OK(r);
    return r.ok() ? r->out : "";
  }
  // A small layout: ESP from a tree, one plain partition.
  void SimpleLayout() {
    WriteText("esp/EFI/BOOT/BOOTX64.EFI", "not really an EFI binary\n");
    WriteText("esp/loader/loader.conf", "timeout 3\n");
    WriteText("layout.yaml",
              "seed: simple\npartitions:\n"
              "  - {type: esp, label: ESP, size: 40MiB, content-dir: esp, format: vfat}\n"
              "  - {type: linux-generic, label: data, size: 8MiB}\n");
  }
  std::unique_ptr<TempDir> dir_;
};

TEST_F(DiskOracle, SystemdDissectRecognisesDpsLayout) {
  WriteText("usrtree/lib/os-release", "ID=hull\nNAME=Hull\nVERSION_ID=202611.24.0\n");
  fs::create_directories(P("roottree/usr"));
  fs::create_directories(P("roottree/etc"));
  WriteText("esp/EFI/BOOT/BOOTX64.EFI", "stub\n");
  Must({"mkfs.erofs", "-T", "1700000000", "-U", "6c1a1f3e-4b2d-4e5f-8a9b-0c1d2e3f4a5b",
        "--all-root", "usr.erofs", "usrtree"});
  Must({"mkfs.erofs", "-T", "1700000000", "-U", "7d2b2f4e-5c3e-4f60-9bac-1d2e3f4a5b6c",
        "--all-root", "root.erofs", "roottree"});
  auto v = Hull({"verity", "format", "usr.erofs", "usr.verity", "--salt=00112233445566778899",
                 "--uuid=8e3c3f5e-6d4f-4071-8cbd-2e3f4a5b6c7d", "--json"});
  ASSERT_OK(v);
  std::string root_hash = nlohmann::json::parse(v->out)["root_hash"];
  auto uuids = gpt::DpsVerityUuids(*HexDecode(root_hash));
  ASSERT_OK(uuids);
  WriteText(
      "layout.yaml",
      fmt::format(
          "seed: dissect\npartitions:\n"
          "  - {{type: esp, label: ESP, size: 40MiB, content-dir: esp, format: vfat}}\n"
          "  - {{type: usr, label: usr_1, content: usr.erofs, uuid: {}, attributes: [read-only]}}\n"
          "  - {{type: usr-verity, label: usr_1_verity, content: usr.verity, uuid: {},\n"
          "      attributes: [read-only]}}\n"
          "  - {{type: root, label: root, content: root.erofs, attributes: [grow-fs]}}\n",
          uuids->data.ToString(), uuids->verity.ToString()));
  auto c = Hull({"disk", "create", "layout.yaml", "--out", "disk.raw"});
  ASSERT_OK(c);
  EXPECT_THAT(Must({"sgdisk", "-v", "disk.raw"}), HasSubstr("No problems found."));
  auto d = hull::Run(
      Command{.argv = {"systemd-dissect", "--json=short", "disk.raw"}, .cwd = dir_->path()});
  ASSERT_OK(d);
  auto j = nlohmann::json::parse(d->out);
  EXPECT_THAT(j["osRelease"].dump(), HasSubstr("VERSION_ID=202611.24.0"));
  std::map<std::string, nlohmann::json> by;
  for (const auto& m : j["mounts"]) by[m["designator"]] = m;
  ASSERT_EQ(by.size(), 4u) << d->out;
  EXPECT_EQ(by["usr"]["partition_uuid"], uuids->data.ToString());
  EXPECT_EQ(by["usr"]["fstype"], "erofs");
  EXPECT_EQ(by["usr"]["partition_label"], "usr_1");
  EXPECT_EQ(by["usr-verity"]["partition_uuid"], uuids->verity.ToString());
  EXPECT_EQ(by["usr-verity"]["fstype"], "DM_verity_hash");
  EXPECT_EQ(by["root"]["fstype"], "erofs");
  EXPECT_EQ(by["root"]["partition_label"], "root");
  EXPECT_EQ(by["esp"]["fstype"], "vfat");
  EXPECT_EQ(by["esp"]["partno"], 1);
}

TEST_F(DiskOracle, ReproducibleAndSparse) {
  SimpleLayout();
  ASSERT_OK(Hull({"disk", "create", "layout.yaml", "--out", "a.raw"}));
  auto j = Hull({"disk", "create", "layout.yaml", "--out", "b.raw", "--json"});
  ASSERT_OK(j);
  Must({"cmp", "a.raw", "b.raw"});
  ASSERT_OK(Hull({"disk", "create", "layout.yaml", "--out", "a.vhd", "--format", "vhd"}));
  ASSERT_OK(Hull({"disk", "create", "layout.yaml", "--out", "b.vhd", "--format", "vhd"}));
  Must({"cmp", "a.vhd", "b.vhd"});
  auto doc = nlohmann::json::parse(j->out);
  EXPECT_EQ(doc["virtual_size"], 50u << 20);
  EXPECT_LT(doc["allocated"].get<uint64_t>(), uint64_t(4) << 20);
  EXPECT_EQ(doc["partitions"][0]["type_name"], "esp");
  // The ESP holds the tree (mtools reads it back).
  EXPECT_THAT(Must({"mdir", "-i", "a.raw@@1M", "-b", "-/", "::/"}),
              HasSubstr("::/EFI/BOOT/BOOTX64.EFI"));
  EXPECT_EQ(Must({"mtype", "-i", "a.raw@@1M", "::/loader/loader.conf"}), "timeout 3\n");
}

// 4096-byte sectors: sfdisk/sgdisk see the disk through a 4096-byte loop device.
TEST_F(DiskOracle, SectorSize4096) {
  WriteText("l4.yaml",
            "size: 64MiB\nseed: s4\npartitions:\n"
            "  - {type: esp, label: ESP, size: 8MiB}\n"
            "  - {type: usr-verity-sig, label: sig, size: 1MiB, attributes: [read-only]}\n"
            "  - {type: root, label: root, size: rest}\n");
  auto c =
      Hull({"disk", "create", "l4.yaml", "--out", "d4.raw", "--sector-size", "4096", "--json"});
  ASSERT_OK(c);
  auto j = nlohmann::json::parse(c->out);
  auto loop =
      hull::Run(Command{.argv = {"losetup", "--show", "-f", "-r", "-b", "4096", P("d4.raw")}});
  ASSERT_OK(loop);
  std::string dev = loop->out.substr(0, loop->out.find('\n'));
  std::string verify = Must({"sgdisk", "-v", dev});
  std::string dump = Must({"sfdisk", "--json", dev});
  (void)hull::Run(Command{.argv = {"losetup", "-d", dev}});
  EXPECT_THAT(verify, HasSubstr("No problems found."));
  auto pt = nlohmann::json::parse(dump)["partitiontable"];
  EXPECT_EQ(pt["sectorsize"], 4096);
  ASSERT_EQ(pt["partitions"].size(), 3u);
  EXPECT_EQ(pt["partitions"][0]["start"], 256);  // 1 MiB
  EXPECT_EQ(pt["partitions"][2]["start"], 10u * 256);
  EXPECT_EQ(pt["partitions"][2]["size"], 53u * 256);  // to the last whole MiB before the backup
  EXPECT_EQ(pt["partitions"][1]["type"], "E7BB33FB-06CF-4E81-8273-E543B413E2E2");
  EXPECT_EQ(pt["partitions"][1]["uuid"], UpperCase(j["partitions"][1]["uuid"]));
}

TEST_F(DiskOracle, QemuImgAcceptsQcow2AndVhdx) {
  SimpleLayout();
  for (std::string fmt : {"qcow2", "vhdx"}) {
    auto c = Hull({"disk", "create", "layout.yaml", "--out", "disk." + fmt, "--format", fmt});
    ASSERT_OK(c);
    Must({"qemu-img", "check", "-f", fmt, "disk." + fmt});
    auto info = nlohmann::json::parse(
        Must({"qemu-img", "info", "--output=json", "-f", fmt, "disk." + fmt}));
    EXPECT_EQ(info["format"], fmt);
    EXPECT_EQ(info["virtual-size"], 50u << 20);
    // The GPT survives the conversion.
    Must({"qemu-img", "convert", "-f", fmt, "-O", "raw", "disk." + fmt, fmt + ".raw"});
    EXPECT_THAT(Must({"sgdisk", "-v", fmt + ".raw"}), HasSubstr("No problems found."));
  }
}

TEST_F(DiskOracle, FixedVhdAcceptedByQemu) {
  SimpleLayout();
  auto c = Hull({"disk", "create", "layout.yaml", "--out", "disk.vhd", "--format", "vhd"});
  ASSERT_OK(c);
  EXPECT_EQ(fs::file_size(P("disk.vhd")), (50u << 20) + 512);
  auto info = nlohmann::json::parse(
      Must({"qemu-img", "info", "--output=json", "--image-opts",
            "driver=vpc,force_size_calc=current_size,file.filename=" + P("disk.vhd")}));
  EXPECT_EQ(info["format"], "vpc");
  EXPECT_EQ(info["virtual-size"], 50u << 20);
  // Without the override qemu sizes a "hull" VHD by its CHS geometry.
  auto chs =
      nlohmann::json::parse(Must({"qemu-img", "info", "--output=json", "-f", "vpc", "disk.vhd"}));
  Chs g = VhdGeometry(50u << 20);
  EXPECT_EQ(chs["virtual-size"], uint64_t(g.cylinders) * g.heads * g.sectors * 512);
  // The data part is the raw disk: qemu reads the GPT through the vpc driver.
  Must({"qemu-img", "convert", "--image-opts",
        "driver=vpc,force_size_calc=current_size,file.filename=" + P("disk.vhd"), "-O", "raw",
        "vhd.raw"});
  EXPECT_THAT(Must({"sgdisk", "-v", "vhd.raw"}), HasSubstr("No problems found."));
}

// qemu's fixed VHD footer for the same sizes: its checksum is what our
// checksum function computes, and its CHS is the spec algorithm (ours) applied
// to the smallest sector count >= the size whose geometry covers the size
// (qemu's vpc_create grows the disk to a whole CHS; we keep the size, as
// Azure requires, and store the spec geometry of that size).
TEST_F(DiskOracle, VhdGeometryAndChecksumMatchQemu) {
  for (uint64_t mib : {1u, 50u, 130u, 200u, 300u}) {
    std::string name = fmt::format("q{}.vhd", mib);
    Must({"qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=fixed", name,
          fmt::format("{}M", mib)});
    Bytes all = *ReadFileBytes(P(name));
    ByteSpan footer(&all[all.size() - 512], 512);
    uint64_t total = mib << 11;
    Chs g{};
    for (uint64_t i = 0; i < 100000; ++i) {
      g = VhdGeometry((total + i) * 512);
      if (uint64_t(g.cylinders) * g.heads * g.sectors >= total) break;
    }
    EXPECT_EQ(LoadBe16(&footer[56]), g.cylinders) << mib;
    EXPECT_EQ(footer[58], g.heads) << mib;
    EXPECT_EQ(footer[59], g.sectors) << mib;
    EXPECT_EQ(LoadBe32(&footer[64]), VhdChecksum(footer)) << mib;
    fs::remove(P(name));
  }
}

TEST_F(DiskOracle, FailureLeavesNothingBehind) {
  WriteText("bad.yaml", "partitions:\n  - {type: usr, content: missing.erofs}\n");
  auto r = hull::RunAllowFailure(Command{
      .argv = {HullBin(), "disk", "create", "bad.yaml", "--out", "disk.raw"}, .cwd = dir_->path()});
  ASSERT_OK(r);
  EXPECT_EQ(r->exit_code, 2);
  EXPECT_THAT(r->err, HasSubstr("missing.erofs"));
  WriteText("typo.yaml", "partitions:\n  - {type: usr, sise: 1MiB}\n");
  r = hull::RunAllowFailure(
      Command{.argv = {HullBin(), "disk", "create", "typo.yaml", "--out", "disk.raw"},
              .cwd = dir_->path()});
  EXPECT_THAT(r->err, HasSubstr("typo.yaml:2:23: unknown key 'sise' in partition"));
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir_->path()))
    left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  EXPECT_THAT(left, ::testing::ElementsAre("bad.yaml", "typo.yaml"));
}

}  // namespace
}  // namespace hull::disk
