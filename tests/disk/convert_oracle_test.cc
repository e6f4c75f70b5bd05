// Disks in Hull's formats read back as raw (disk/convert.h), with qemu-img
// as the oracle: one small GPT disk written by Hull as raw, fixed VHD, qcow2
// and VHDX (CreateDisk), and by qemu-img convert from the raw as qcow2,
// VHDX, fixed and dynamic VHD, each converted back to raw by OpenAsRaw: the
// format told by the bytes (not the name), the same size and bytes as the
// raw disk. qemu alone reads Hull's VHD short (by CHS); OpenAsRaw does not.
// A qcow2 with a backing file or an external data file is refused by name
// and leaves no raw behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/subprocess.h"
#include "disk/convert.h"
#include "disk/image.h"
#include "disk/layout.h"
#include "support/status_matchers.h"

namespace hull::disk {
namespace {
namespace fs = std::filesystem;
using spec::OutputFormat;
using ::testing::HasSubstr;

class ConvertOracle : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create("convert-oracle");
    ASSERT_OK(t);
    dir_ = std::make_unique<TempDir>(std::move(*t));
  }
  std::string P(const std::string& n) const { return dir_->path() + "/" + n; }
  void Qemu(std::vector<std::string> args) {
    args.insert(args.begin(), "qemu-img");
    ASSERT_OK(hull::Run(Command{.argv = std::move(args), .cwd = dir_->path()}));
  }
  // A 7 MiB GPT disk: 3 MiB of patterned data in a 4 MiB partition, the rest
  // holes (sizes where qemu's CHS reading of a "hull" VHD comes out short).
  Result<Layout> SmallLayout() {
    Bytes data(3 << 20);
    for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t((i * 2654435761u) >> 13);
    HULL_TRY(WriteFileAtomic(P("data.bin"), data));
    return ParseLayout(
        "seed: convert\npartitions:\n  - {type: linux-generic, label: data, size: 4MiB, "
        "content: data.bin}\n  - {type: linux-generic, label: empty, size: 1MiB}\n",
        "layout.yaml", dir_->path());
  }
  std::unique_ptr<TempDir> dir_;
};

TEST_F(ConvertOracle, EveryFormatReadsBackAsTheSameRawDisk) {
  ASSERT_OK_AND_ASSIGN(Layout l, SmallLayout());
  for (auto [f, name] : {std::pair{OutputFormat::kRaw, "hull.raw"},
                         {OutputFormat::kVhd, "hull.vhd"},
                         {OutputFormat::kQcow2, "hull.qcow2"},
                         {OutputFormat::kVhdx, "hull.vhdx"}}) {
    ASSERT_OK(CreateDisk(l, {.out = P(name), .format = f, .source_date_epoch = 1700000000}));
  }
  ASSERT_OK_AND_ASSIGN(Bytes raw, ReadFileBytes(P("hull.raw")));
  ASSERT_EQ(raw.size(), 7u << 20);
  // qemu-img writes the others from Hull's raw disk.
  Qemu({"convert", "-f", "raw", "-O", "qcow2", "hull.raw", "qemu.qcow2"});
  Qemu({"convert", "-f", "raw", "-O", "vhdx", "hull.raw", "qemu.vhdx"});
  Qemu({"convert", "-f", "raw", "-O", "vpc", "-o", "subformat=fixed,force_size", "hull.raw",
        "qemu-fixed.vhd"});
  Qemu({"convert", "-f", "raw", "-O", "vpc", "-o", "subformat=dynamic,force_size", "hull.raw",
        "qemu-dynamic.vhd"});
  // A qcow2 named as raw: the bytes tell.
  fs::copy_file(P("qemu.qcow2"), P("disguised.raw"));
  for (auto [name, f] : {std::pair{"hull.raw", OutputFormat::kRaw},
                         {"hull.vhd", OutputFormat::kVhd},
                         {"hull.qcow2", OutputFormat::kQcow2},
                         {"hull.vhdx", OutputFormat::kVhdx},
                         {"qemu.qcow2", OutputFormat::kQcow2},
                         {"qemu.vhdx", OutputFormat::kVhdx},
                         {"qemu-fixed.vhd", OutputFormat::kVhd},
                         {"qemu-dynamic.vhd", OutputFormat::kVhd},
                         {"disguised.raw", OutputFormat::kQcow2}}) {
    const std::string out = P(std::string(name) + ".back");
    ASSERT_OK_AND_ASSIGN(RawImage r, OpenAsRaw(P(name), out));
    EXPECT_EQ(r.format, f) << name;
    EXPECT_EQ(r.virtual_size, raw.size()) << name;
    EXPECT_EQ(r.path, f == OutputFormat::kRaw ? P(name) : out) << name;
    ASSERT_OK_AND_ASSIGN(Bytes back, ReadFileBytes(r.path));
    EXPECT_TRUE(back == raw) << name << " does not read back as the raw disk";
  }
  // Hull's fixed VHD is the raw disk and a footer, as qemu's own is.
  EXPECT_EQ(fs::file_size(P("hull.vhd")), raw.size() + 512);
  EXPECT_EQ(fs::file_size(P("qemu-fixed.vhd")), raw.size() + 512);
  // What qemu alone makes of Hull's VHD: the CHS size, short of the disk.
  ASSERT_OK_AND_ASSIGN(auto chs, hull::Run(Command{.argv = {"qemu-img", "info", "--output=json",
                                                            "-f", "vpc", P("hull.vhd")}}));
  EXPECT_LT(nlohmann::json::parse(chs.out)["virtual-size"].get<uint64_t>(), raw.size());
}

TEST_F(ConvertOracle, AnImageReadingAnotherHostFileIsRefusedByName) {
  Qemu({"create", "-q", "-f", "qcow2", "base.qcow2", "4M"});
  Qemu({"create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2"});
  Qemu({"create", "-q", "-f", "qcow2", "-o", "data_file=external.raw", "data.qcow2", "4M"});
  for (auto [name, want] :
       {std::pair{"top.qcow2", "a qcow2 image with a backing file ('base.qcow2')"},
        {"data.qcow2", "a qcow2 image with an external data file"}}) {
    auto r = OpenAsRaw(P(name), P("out.raw"));
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().code(), ErrorCode::kRefused) << r.error().message();
    EXPECT_THAT(r.error().message(), HasSubstr(want));
    EXPECT_THAT(r.error().message(), HasSubstr(P(name)));
    EXPECT_FALSE(fs::exists(P("out.raw")));
  }
}

TEST(ConvertArgv, PlainFilesAndTheVhdSizeRule) {
  EXPECT_EQ(QemuImgToRawArgv("/a,b.vhd", OutputFormat::kVhd, "/o.raw"),
            (std::vector<std::string>{"qemu-img", "convert", "--image-opts",
                                      "driver=vpc,force_size_calc=current_size,file.driver=file,"
                                      "file.filename=/a,,b.vhd",
                                      "-O", "raw", "/o.raw"}));
  EXPECT_EQ(QemuImgInfoArgv("nbd:x", OutputFormat::kQcow2),
            (std::vector<std::string>{"qemu-img", "info", "--output=json", "--image-opts",
                                      "driver=qcow2,file.driver=file,file.filename=nbd:x"}));
  Bytes tail(512, 0);
  std::copy_n("conectix", 8, tail.begin());
  EXPECT_EQ(DetectFormat(Bytes{0, 0, 0, 0, 0, 0, 0, 0}, tail), OutputFormat::kVhd);
  EXPECT_EQ(DetectFormat(Bytes{}, Bytes{}), OutputFormat::kRaw);
}

}  // namespace
}  // namespace hull::disk
