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
  // The firmware's own BootOrder: no device has a bootindex.
  m.boot_index = false;
  a = QemuArgv(m);
  EXPECT_TRUE(Has(a, "scsi-cd,bus=scsi0.0,drive=disk0"));
  for (const std::string& arg : a) EXPECT_EQ(arg.find("bootindex"), std::string::npos) << arg;
}

// Netboot (docs/iso.md "Netboot"): the NIC on the user network with the
// boot URI as DHCP's boot file, first in the boot order, without an option
// ROM (OVMF's own HTTP boot drives it), OVMF's PXE options off, and no disk
// with a bootindex (the validation request disk is the first one).
TEST(QemuArgv, HttpBoot) {
  MachineSpec m;
  m.firmware_vars = "/t/vars.fd";
  m.console_log = "/t/c.log";
  m.disks = {{.path = "/t/r.tar", .serial = "hull-validate", .read_only = true}};
  m.http_boot_uri = "http://10.0.2.2:8080/live.iso";
  auto a = QemuArgv(m);
  EXPECT_TRUE(Has(a, "user,id=net0,bootfile=http://10.0.2.2:8080/live.iso"));
  EXPECT_TRUE(Has(a, "virtio-net-pci,netdev=net0,romfile=,bootindex=0"));
  EXPECT_TRUE(Has(a, "name=opt/org.tianocore/IPv4PXESupport,string=no"));
  EXPECT_TRUE(Has(a, "name=opt/org.tianocore/IPv6PXESupport,string=no"));
  EXPECT_TRUE(Has(a, "virtio-blk-pci,drive=disk0,serial=hull-validate"));
  EXPECT_FALSE(Has(a, "-nic"));
  m.http_boot_uri.clear();
  a = QemuArgv(m);
  EXPECT_TRUE(Has(a, "none"));
  EXPECT_FALSE(Has(a, "-netdev"));
}

// An aarch64 guest: QEMU's virt machine with AAVMF (no SMM, no secure
// flash: ArmVirtQemu keeps its variables in the plain pflash), the TPM on
// the TIS MMIO interface, the same disks, console and SMBIOS strings.
TEST(QemuArgv, Aarch64VirtWithAavmfAndTis) {
  MachineSpec m;
  m.arch = GuestArch::kAarch64;
  m.secure_boot = true;
  m.firmware_code = kAavmfCode;
  m.firmware_vars = "/t/vars.fd";
  m.disks = {{.path = "/t/o.qcow2", .format = "qcow2"}};
  m.tpm_socket = "/t/s.sock";
  m.console_log = "/t/c.log";
  m.oem_strings = {"hull.validate=once"};
  auto a = QemuArgv(m);
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a[0], "qemu-system-aarch64");
  EXPECT_TRUE(Has(a, "virt,accel=tcg"));
  EXPECT_TRUE(Has(a, "max,pauth-impdef=on"));
  EXPECT_FALSE(Has(a, "driver=cfi.pflash01,property=secure,value=on"));
  EXPECT_TRUE(Has(a, "if=pflash,format=raw,unit=0,readonly=on,file=" + std::string(kAavmfCode)));
  EXPECT_TRUE(Has(a, "if=pflash,format=raw,unit=1,file=/t/vars.fd"));
  EXPECT_TRUE(Has(a, "tpm-tis-device,tpmdev=tpm0"));
  EXPECT_FALSE(Has(a, "tpm-crb,tpmdev=tpm0"));
  EXPECT_TRUE(Has(a, "virtio-blk-pci,drive=disk0,bootindex=0"));
  EXPECT_TRUE(Has(a, "type=11,value=hull.validate=once"));
  EXPECT_TRUE(Has(a, "chardev:console"));
  EXPECT_TRUE(Has(a, "-no-reboot"));
  m.arch = GuestArch::kX86_64;
  EXPECT_EQ(QemuArgv(m)[0], "qemu-system-x86_64");
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
  EXPECT_EQ(m["platform"]["architecture"], "amd64");  // the default
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
  // An arm64 guest's containerd takes only an image whose platform is
  // arm64: the index's manifest and the config both say so.
  p.architecture = "arm64";
  p.out = d + "/arm64.tar";
  ASSERT_OK(MakeOciProbeArchive(p));
  std::filesystem::create_directories(d + "/a");
  ASSERT_OK(hull::Run(Command{.argv = {"bsdtar", "-xf", p.out, "-C", d + "/a"}}));
  auto arm_index = json::parse(*ReadFileText(d + "/a/index.json"));
  EXPECT_EQ(arm_index["manifests"][0]["platform"]["architecture"], "arm64");
  auto arm_manifest = json::parse(*ReadFileText(
      d + "/a/blobs/sha256/" + arm_index["manifests"][0]["digest"].get<std::string>().substr(7)));
  auto arm_config = json::parse(*ReadFileText(
      d + "/a/blobs/sha256/" + arm_manifest["config"]["digest"].get<std::string>().substr(7)));
  EXPECT_EQ(arm_config["architecture"], "arm64");
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
    e_.image_version = "202612.05.0";
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
  // The image's manifest: usr.root_hash, and sizes.usr_erofs_bytes
  // 292462592 (278.9 MiB) for the full scan.
  EXPECT_EQ(e_.root_hash, "b5ec53d3872b27aa25e0dd33b8eccc404cc929441d3cbd54545a4040a8dc3fc5");
  auto checks = Judge(report_, e_);
  EXPECT_TRUE(AllPassed(checks)) << RenderTable(checks);
  EXPECT_EQ(Find(checks, "secure-boot").state, CheckState::kSkip);  // not asked for
  EXPECT_EQ(Find(checks, "pcr11").state, CheckState::kSkip);
  EXPECT_THAT(Find(checks, "containerd").detail, HasSubstr("hull-container-ok pid=1"));
  EXPECT_THAT(Find(checks, "usr-full-scan").detail, HasSubstr("279 MiB"));
  EXPECT_EQ(Find(checks, "selinux").detail, "enforcing (spec: enforcing), 0 denials");
  EXPECT_THAT(RenderTable(checks), HasSubstr("usr-root-hash"));
}

// The guest's own error line (a first-boot report it could not read back)
// is a failed check of its own, listed first.
TEST_F(Judging, GuestErrorFailsFirst) {
  EXPECT_EQ(Find(Judge(report_, e_), "guest-error").name, "none");
  report_["error"] = "/var/lib/hull/validate/phase1.json is not a JSON object";
  auto checks = Judge(report_, e_);
  EXPECT_FALSE(AllPassed(checks));
  ASSERT_FALSE(checks.empty());
  EXPECT_EQ(checks[0].name, "guest-error");
  EXPECT_EQ(checks[0].state, CheckState::kFail);
  EXPECT_THAT(checks[0].detail, HasSubstr("phase1.json"));
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
      {"secure-boot",
       [](json& j, Expectations& e) {
         e.secure_boot = true;
         j["phase1"]["secure_boot"] = false;
       }},
      {"pcr11", [](json&, Expectations& e) { e.tpm = true; }},
      {"selinux", [](json&, Expectations& e) { e.selinux = "permissive"; }},
      {"selinux", [](json& j, Expectations&) { j["phase1"]["selinux"]["denials"] = 1; }},
      {"selinux", [](json& j, Expectations&) { j["reboot_selinux"]["denials"] = 2; }},
      {"selinux", [](json& j, Expectations&) { j["phase1"]["selinux"].erase("denials"); }},
      {"selinux", [](json& j, Expectations&) { j.erase("reboot_selinux"); }},
      {"selinux", [](json& j, Expectations&) { j["reboot_selinux"]["denials"] = "0"; }},
      {"selinux", [](json& j, Expectations&) { j["reboot_selinux"]["denials"] = -1; }},
      // A denial listed under a zero count, and a kernel log that lost records.
      {"selinux",
       [](json& j, Expectations&) {
         j["phase1"]["selinux"]["first_denials"] = {"avc:  denied  { read } for pid=1"};
       }},
      {"selinux", [](json& j, Expectations&) { j["phase1"]["selinux"]["kmsg_lost"] = 3; }},
      {"selinux", [](json& j, Expectations&) { j["reboot_selinux"]["kmsg_lost"] = 1; }},
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

// A real report of the image before its policy module (202611.25.0): seven
// AVC denials in the first boot. Only the selinux check fails, and it lists
// them.
TEST(JudgingDenials, AnyDenialFailsAndIsListed) {
  auto line = ReadFileText(std::string(HULL_VM_DATA) + "/validate-line-denials.txt");
  ASSERT_OK(line);
  auto report = ParseValidateLine(*line);
  ASSERT_OK(report);
  Expectations e;
  ExpectFromCmdline((*report)["phase1"]["cmdline"], e);
  e.image_version = "202611.25.0";
  e.persistence = false;  // that line predates the reboot's SELinux facts
  auto checks = Judge(*report, e);
  EXPECT_FALSE(AllPassed(checks));
  for (const auto& c : checks) {
    if (c.name != "selinux") {
      EXPECT_NE(c.state, CheckState::kFail) << c.name << ": " << c.detail;
      continue;
    }
    EXPECT_EQ(c.state, CheckState::kFail);
    EXPECT_THAT(c.detail, ::testing::StartsWith("enforcing (spec: enforcing), 7 denials: "));
    EXPECT_THAT(c.detail, HasSubstr(R"(comm="systemd-gpt-aut" name="efi")"));
    EXPECT_THAT(c.detail, HasSubstr(R"({ checkpoint_restore } for  pid=180 comm="agetty")"));
  }
}

TEST(JudgingDenials, SingleBootNeedsNoRebootFacts) {
  json report = {{"phase1", {{"selinux", {{"mode", "enforcing"}, {"denials", 0}}}}}};
  Expectations e;
  e.selinux = "enforcing";
  auto find = [](const std::vector<ValidationCheck>& checks) {
    for (const auto& c : checks)
      if (c.name == "selinux") return c;
    return ValidationCheck{"none", CheckState::kFail, ""};
  };
  e.persistence = false;
  auto once = find(Judge(report, e));
  EXPECT_EQ(once.state, CheckState::kPass) << once.detail;
  EXPECT_EQ(once.detail, "enforcing (spec: enforcing), 0 denials");
  e.persistence = true;  // the reboot ran, but its facts are missing
  auto twice = find(Judge(report, e));
  EXPECT_EQ(twice.state, CheckState::kFail);
  EXPECT_EQ(twice.detail,
            "enforcing (spec: enforcing), 0 denials; denials of the reboot not reported");
  report["reboot_selinux"] = {
      {"mode", "enforcing"}, {"denials", 1}, {"first_denials", {"{ read } for  pid=1 comm=\"x\""}}};
  auto denied = find(Judge(report, e));
  EXPECT_EQ(denied.state, CheckState::kFail);
  EXPECT_EQ(denied.detail,
            R"(enforcing (spec: enforcing), 1 denials: { read } for  pid=1 comm="x")");
}

// Preloaded images (docs/containers.md): skipped when the image has none;
// passed when each is stored with its recorded digest and each run exits 0;
// failed for an absent image, another digest, or a run that failed.
TEST_F(Judging, PreloadedImagesPresentAndRun) {
  EXPECT_EQ(Find(Judge(report_, e_), "preloaded").state, CheckState::kSkip);
  EXPECT_EQ(Find(Judge(report_, e_), "preloaded-run").state, CheckState::kSkip);
  const std::string a = "sha256:" + std::string(64, 'a'), b = "sha256:" + std::string(64, 'b');
  report_["phase1"]["preload"] = {
      {"unit", {{"exit", 0}, {"out", "active"}}},
      {"images",
       {{{"name", "localhost/hull/static:latest"}, {"digest", a}, {"stored", a}},
        {{"name", "localhost/hull/static:debug"}, {"digest", b}, {"stored", b}}}},
      {"runs", {{{"name", "localhost/hull/static:debug"}, {"exit", 0}, {"out", ""}}}}};
  auto checks = Judge(report_, e_);
  EXPECT_TRUE(AllPassed(checks)) << RenderTable(checks);
  EXPECT_THAT(Find(checks, "preloaded").detail, HasSubstr("localhost/hull/static:debug"));
  EXPECT_THAT(Find(checks, "preloaded-run").detail, HasSubstr("without a pull"));
  struct Case {
    const char* check;
    std::function<void(json&)> mutate;
  } cases[] = {
      {"preloaded", [](json& p) { p["images"][0]["stored"] = ""; }},
      {"preloaded", [&](json& p) { p["images"][1]["stored"] = a; }},
      {"preloaded", [](json& p) { p["images"] = json::array(); }},
      {"preloaded-run", [](json& p) { p["runs"][0]["exit"] = 1; }},
      {"preloaded-run",
       [](json& p) {
         p["runs"][0] = {{"exit", -1}, {"error", "timed out"}};
       }},
  };
  for (const auto& c : cases) {
    json j = report_;
    c.mutate(j["phase1"]["preload"]);
    auto judged = Judge(j, e_);
    EXPECT_EQ(Find(judged, c.check).state, CheckState::kFail) << c.check << j.dump();
    EXPECT_FALSE(AllPassed(judged)) << c.check;
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
