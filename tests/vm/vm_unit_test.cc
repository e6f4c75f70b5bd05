#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "base/file.h"
#include "base/subprocess.h"
#include "support/status_matchers.h"
#include "vm/accel.h"
#include "vm/machine.h"
#include "vm/oci.h"
#include "vm/report.h"

namespace hull::vm {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(QemuArgv, SecureBootTpmAndDisks) {
  MachineSpec m;
  m.secure_boot = true;
  m.firmware_code = kOvmfCodeSecureBoot;
  m.firmware_vars = "/t/vars.fd";
  m.disks = {{.path = "/t/o.qcow2", .format = "qcow2"},
             {.path = "/t/r.tar", .serial = "hull-validate", .read_only = true}};
  m.tpm_socket = "/t/s.sock";
  m.console_log = "/t/c.log";
  m.oem_strings = {"hull.validate=once", "a,b"};
  auto a = QemuArgv(m);
  // QEMU's -smbios type=11 (docs/system/invocation: value=, commas doubled).
  EXPECT_TRUE(Has(a, "type=11,value=hull.validate=once"));
  EXPECT_TRUE(Has(a, "type=11,value=a,,b"));
  EXPECT_TRUE(Has(a, "q35,accel=tcg,smm=on"));
  EXPECT_TRUE(Has(a, "driver=cfi.pflash01,property=secure,value=on"));
  EXPECT_TRUE(
      Has(a, "if=pflash,format=raw,unit=0,readonly=on,file=" + std::string(kOvmfCodeSecureBoot)));
  EXPECT_TRUE(Has(a, "if=none,id=disk0,format=qcow2,file=/t/o.qcow2"));
  EXPECT_TRUE(Has(a, "virtio-blk-pci,drive=disk0,bootindex=0"));
  EXPECT_TRUE(Has(a, "if=none,id=disk1,format=raw,file=/t/r.tar,readonly=on"));
  EXPECT_TRUE(Has(a, "virtio-blk-pci,drive=disk1,serial=hull-validate"));
  EXPECT_TRUE(Has(a, "tpm-crb,tpmdev=tpm0"));
  EXPECT_TRUE(Has(a, "file,id=console,append=on,path=/t/c.log"));
  EXPECT_TRUE(Has(a, "chardev:console"));
  EXPECT_TRUE(Has(a, "-no-reboot"));  // a reboot is a new process (RunMachine)
  m.secure_boot = false;
  m.tpm_socket.clear();
  a = QemuArgv(m);
  EXPECT_TRUE(Has(a, "q35,accel=tcg"));
  EXPECT_FALSE(Has(a, "tpm-crb,tpmdev=tpm0"));
  m.oem_strings.clear();
  EXPECT_FALSE(Has(QemuArgv(m), "-smbios"));
}

// The install medium on an optical drive (docs/iso.md): QEMU's scsi-cd on
// its own virtio-scsi controller, media=cdrom, read-only, booted first.
TEST(QemuArgv, CdRom) {
  MachineSpec m;
  m.firmware_vars = "/t/vars.fd";
  m.console_log = "/t/c.log";
  m.disks = {{.path = "/t/x.iso", .cdrom = true}, {.path = "/t/target.raw"}};
  auto a = QemuArgv(m);
  EXPECT_TRUE(Has(a, "if=none,id=disk0,format=raw,file=/t/x.iso,readonly=on,media=cdrom"));
  EXPECT_TRUE(Has(a, "virtio-scsi-pci,id=scsi0"));
  EXPECT_TRUE(Has(a, "scsi-cd,bus=scsi0.0,drive=disk0,bootindex=0"));
  EXPECT_TRUE(Has(a, "if=none,id=disk1,format=raw,file=/t/target.raw"));
  EXPECT_TRUE(Has(a, "virtio-blk-pci,drive=disk1"));
}

TEST(Accel, ExplicitChoicesAndTypos) {
  EXPECT_EQ(*ResolveAccel("tcg"), Accel::kTcg);
  auto bad = ResolveAccel("kvmm");
  ASSERT_ERROR(bad, ErrorCode::kInvalidArgument);
  std::string s = KvmProbeBootSector();
  ASSERT_EQ(s.size(), 512u);
  EXPECT_EQ(uint8_t(s[510]), 0x55);
  EXPECT_EQ(uint8_t(s[511]), 0xaa);
}

TEST(Tail, LastLines) {
  EXPECT_EQ(Tail("a\nb\nc\n", 2), "b\nc");
  EXPECT_EQ(Tail("a\nb\nc", 5), "a\nb\nc");
  EXPECT_EQ(Tail("", 3), "");
}

// The archive is read back with bsdtar (libarchive's CLI) and every blob's
// name checked against sha256sum of its bytes, and the index/manifest chain
// against those digests.
TEST(OciArchive, ContentAddressedAndReadableByTar) {
  auto t = TempDir::Create("hull-oci-test");
  ASSERT_OK(t);
  const std::string d = t->path();
  ASSERT_OK(WriteFileAtomic(d + "/payload", std::string("#!/bin/true\n"), 0755));
  OciProbe p{.binary = d + "/payload",
             .entry_name = "probe",
             .entrypoint = {"/probe"},
             .out = d + "/oci.tar"};
  ASSERT_OK(MakeOciProbeArchive(p));
  EXPECT_EQ(std::filesystem::file_size(d + "/oci.tar") % (1 << 20), 0u);
  std::filesystem::create_directories(d + "/x");
  ASSERT_OK(hull::Run(Command{.argv = {"bsdtar", "-xf", d + "/oci.tar", "-C", d + "/x"}}));
  auto sums =
      hull::Run(Command{.argv = {"sh", "-c", "cd " + d + "/x/blobs/sha256 && sha256sum *"}});
  ASSERT_OK(sums);
  size_t lines = 0;
  for (size_t pos = 0; pos < sums->out.size(); ++lines) {
    std::string line = sums->out.substr(pos, sums->out.find('\n', pos) - pos);
    pos = sums->out.find('\n', pos) + 1;
    EXPECT_EQ(line.substr(0, 64), line.substr(66)) << line;  // "<sum>  <name>"
  }
  EXPECT_EQ(lines, 3u);  // manifest, config, layer
  auto index = json::parse(*ReadFileText(d + "/x/index.json"));
  const auto& m = index["manifests"][0];
  EXPECT_EQ(m["annotations"]["io.containerd.image.name"], kProbeImageRef);
  auto manifest =
      json::parse(*ReadFileText(d + "/x/blobs/sha256/" + m["digest"].get<std::string>().substr(7)));
  std::string layer = manifest["layers"][0]["digest"].get<std::string>().substr(7);
  auto list = hull::Run(Command{.argv = {"bsdtar", "-tvf", d + "/x/blobs/sha256/" + layer}});
  ASSERT_OK(list);
  EXPECT_THAT(list->out, HasSubstr("-rwxr-xr-x"));
  EXPECT_THAT(list->out, HasSubstr(" probe\n"));
  auto again = d + "/oci2.tar";
  p.out = again;
  ASSERT_OK(MakeOciProbeArchive(p));
  EXPECT_EQ(*ReadFileBytes(d + "/oci.tar"), *ReadFileBytes(again));
  p.binary = d + "/missing";
  EXPECT_ERROR(MakeOciProbeArchive(p), ErrorCode::kNotFound);
  // skopeo (containers/image) reads the archive as an OCI layout too.
  if (hull::Run(Command{.argv = {"sh", "-c", "command -v skopeo"}}).ok()) {
    auto inspect =
        hull::Run(Command{.argv = {"skopeo", "inspect", "oci-archive:" + d + "/oci.tar:latest"}});
    ASSERT_OK(inspect);
    auto j = json::parse(inspect->out);
    EXPECT_EQ(j["Architecture"], "amd64");
    EXPECT_EQ(j["Digest"], m["digest"]);
  }
}

class Judging : public ::testing::Test {
 protected:
  void SetUp() override {
    auto line = ReadFileText(std::string(HULL_VM_DATA) + "/validate-line.txt");
    ASSERT_OK(line);
    auto r = ParseValidateLine("[  1.0] noise\n" + *line + "\n[  2.0] reboot: Power down\n");
    ASSERT_OK(r);
    report_ = *r;
    ExpectFromCmdline(report_["phase1"]["cmdline"], e_);
    e_.image_version = "202611.25.0";
  }
  const ValidationCheck& Find(const std::vector<ValidationCheck>& c, const std::string& name) {
    for (const auto& x : c)
      if (x.name == name) return x;
    static ValidationCheck none{"none", CheckState::kFail, ""};
    return none;
  }
  json report_;
  Expectations e_;
};

TEST_F(Judging, RealGuestReportPasses) {
  EXPECT_EQ(e_.selinux, "enforcing");
  EXPECT_EQ(e_.lockdown, "integrity");
  EXPECT_EQ(e_.root_hash, "436a823d14d79aa0729dc4b290e8b49a5071b96c55c5ede2d3669ee0c9de9c8f");
  auto checks = Judge(report_, e_);
  EXPECT_TRUE(AllPassed(checks)) << RenderTable(checks);
  EXPECT_EQ(Find(checks, "secure-boot").state, CheckState::kSkip);
  EXPECT_EQ(Find(checks, "pcr11").state, CheckState::kSkip);
  EXPECT_THAT(Find(checks, "containerd").detail, HasSubstr("hull-container-ok pid=1"));
  EXPECT_THAT(Find(checks, "usr-full-scan").detail, HasSubstr("350 MiB"));
  EXPECT_THAT(RenderTable(checks), HasSubstr("usr-root-hash"));
}

TEST_F(Judging, EachWrongFactFailsItsCheck) {
  struct Case {
    const char* check;
    std::function<void(json&, Expectations&)> mutate;
  } cases[] = {
      {"usr-root-hash", [](json&, Expectations& e) { e.root_hash = std::string(64, 'a'); }},
      {"usr-verity", [](json& j, Expectations&) { j["phase1"]["usr"]["status"] = "C"; }},
      {"usr-read-only", [](json& j, Expectations&) { j["phase1"]["usr"].erase("write_errno"); }},
      {"usr-full-scan",
       [](json& j, Expectations&) {
         j["phase1"]["usr_scan"] = {
             {"ok", false}, {"error", "Input/output error"}, {"error_offset", 4096}};
       }},
      {"secure-boot", [](json&, Expectations& e) { e.secure_boot = true; }},
      {"pcr11", [](json&, Expectations& e) { e.tpm = true; }},
      {"selinux", [](json&, Expectations& e) { e.selinux = "permissive"; }},
      {"containerd", [](json& j, Expectations&) { j["phase1"]["container"]["ok"] = "yes"; }},
      {"etc-overlay", [](json& j, Expectations&) { j["phase1"]["etc_fstype"] = "ext4"; }},
      {"persist-reboot", [](json& j, Expectations&) { j["persist"]["etc"] = false; }},
      {"system-state",
       [](json& j, Expectations&) { j["phase1"]["boot"]["system_state"]["out"] = "degraded"; }},
      {"image-version", [](json&, Expectations& e) { e.image_version = "202611.26.0"; }},
  };
  for (const auto& c : cases) {
    json j = report_;
    Expectations e = e_;
    c.mutate(j, e);
    auto checks = Judge(j, e);
    EXPECT_EQ(Find(checks, c.check).state, CheckState::kFail) << c.check;
    EXPECT_FALSE(AllPassed(checks)) << c.check;
  }
}

TEST(ValidateLine, MissingOrMalformed) {
  EXPECT_ERROR(ParseValidateLine("login:\n"), ErrorCode::kNotFound);
  EXPECT_ERROR(ParseValidateLine("HULL-VALIDATE {\"a\": \n"), ErrorCode::kCorrupt);
  EXPECT_ERROR(ParseValidateLine("HULL-VALIDATE {} trailing\n"), ErrorCode::kCorrupt);
  // A report of any other shape is judged, and fails, without crashing.
  auto j = ParseValidateLine("HULL-VALIDATE {\"phase1\": [1, 2]}\r\n");
  ASSERT_OK(j);
  EXPECT_FALSE(AllPassed(Judge(*j, Expectations{})));
}

}  // namespace
}  // namespace hull::vm
