// Authenticode against the reference tools, run live:
//   sbverify --cert (sbsigntool) accepts Hull's signatures;
//   Hull verifies sbsign's signatures and refuses a tampered one;
//   pesign -h prints the image hash Hull computes (our signed output, and
//   Debian's own signed kernel);
//   the CheckSum sbsign writes equals Hull's ComputeChecksum;
//   node/arch.h's table (COFF machine, removable-media file) agrees with the
//   systemd-boot Debian builds for each architecture.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <sstream>

#include "base/file.h"
#include "base/hex.h"
#include "base/subprocess.h"
#include "crypto/key.h"
#include "node/arch.h"
#include "pe/authenticode.h"
#include "support/debian_boot_files.h"
#include "support/status_matchers.h"

namespace hull::pe {
namespace {

using test_support::kSystemdBoot;
using test_support::kSystemdStub;

class PeOracle : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<TempDir>(std::move(TempDir::Create("pe-oracle").value()));
    key_ = *crypto::PrivateKey::Generate(crypto::KeyType::kRsa2048);
    cert_ = *crypto::Certificate::CreateSelfSigned(
        key_, {.common_name = "Hull oracle db", .is_ca = false, .code_signing = true});
    ASSERT_OK(WriteFileAtomic(Path("db.key"), key_.ToPem(), 0600));
    ASSERT_OK(WriteFileAtomic(Path("db.crt"), cert_.ToPem()));
  }
  std::string Path(const std::string& name) const { return dir_->path() + "/" + name; }

  // Signs `in` with Hull and checks sbverify and pesign agree with us.
  void SignAndCheck(const std::string& in) {
    SCOPED_TRACE(in);
    Bytes data = *ReadFileBytes(in);
    auto signed_image = SignImage(data, key_, cert_);
    ASSERT_OK(signed_image);
    ASSERT_OK(WriteFileAtomic(Path("out.efi"), *signed_image));
    auto sbv = hull::Run(Command{.argv = {"sbverify", "--cert", Path("db.crt"), Path("out.efi")}});
    ASSERT_OK(sbv);
    EXPECT_NE(sbv->out.find("Signature verification OK"), std::string::npos);
    auto pes = hull::Run(Command{.argv = {"pesign", "-h", "-i", Path("out.efi")}});
    ASSERT_OK(pes);
    auto img = *ParsePe(*signed_image);
    EXPECT_EQ(pes->out, "hash: " + HexEncode(ImageHash(*signed_image, img)) + "\n");
  }

  std::unique_ptr<TempDir> dir_;
  crypto::PrivateKey key_;
  crypto::Certificate cert_;
};

TEST_F(PeOracle, SbverifyAndPesignAcceptHullSignatures) {
  SignAndCheck(kSystemdStub);
  SignAndCheck(kSystemdBoot);  // not 8-byte aligned: padded before the certificate table
  std::string kernel = test_support::DebianKernel();
  ASSERT_FALSE(kernel.empty()) << test_support::kNoKernelHint;
  SignAndCheck(kernel);  // already signed by Debian: the signature is replaced
}

// Debian's aarch64 systemd-stub and systemd-boot: PE32+ with machine AArch64,
// the section table as binutils' aarch64 objdump lists it, signed by Hull
// and accepted by sbverify and pesign.
TEST_F(PeOracle, Arm64StubAsAarch64ObjdumpReadsIt) {
  for (const char* path : {test_support::kSystemdStubArm64, test_support::kSystemdBootArm64}) {
    SCOPED_TRACE(path);
    ASSERT_OK_AND_ASSIGN(Bytes data, ReadFileBytes(path));
    ASSERT_OK_AND_ASSIGN(PeImage img, ParsePe(data));
    EXPECT_EQ(img.machine, 0xAA64);
    EXPECT_EQ(MachineName(img.machine), "aarch64");
    EXPECT_EQ(img.subsystem, kSubsystemEfiApplication);
    ASSERT_OK_AND_ASSIGN(auto f,
                         hull::Run(Command{.argv = {"aarch64-linux-gnu-objdump", "-f", path}}));
    EXPECT_NE(f.out.find("file format pei-aarch64-little"), std::string::npos) << f.out;
    // objdump -h: "  0 .text  0000e000  0000000000001000  0000000000001000  00001000  2**2"
    ASSERT_OK_AND_ASSIGN(auto h,
                         hull::Run(Command{.argv = {"aarch64-linux-gnu-objdump", "-h", path}}));
    uint64_t image_base = 0;  // PE32+ ImageBase: optional header + 24, 8 bytes LE
    for (int i = 7; i >= 0; --i)
      image_base = image_base << 8 | data[img.optional_header_offset + 24 + i];
    std::string expected;
    for (const auto& s : img.sections) {
      expected += fmt::format("{} {:08x} {:016x} {:08x}\n", s.name, s.virtual_size,
                              image_base + s.virtual_address, s.pointer_to_raw_data);
    }
    std::string listed;
    std::istringstream in(h.out);
    for (std::string line; std::getline(in, line);) {
      std::istringstream ls(line);
      std::string idx, name, size, vma, lma, off;
      if (!(ls >> idx >> name >> size >> vma >> lma >> off) ||
          idx.find_first_not_of("0123456789") != std::string::npos)
        continue;
      listed += name + " " + size + " " + vma + " " + off + "\n";
    }
    EXPECT_EQ(listed, expected);
  }
  SignAndCheck(test_support::kSystemdStubArm64);
  SignAndCheck(test_support::kSystemdBootArm64);
}

TEST_F(PeOracle, HullVerifiesSbsignAndRefusesTampering) {
  auto r = hull::Run(Command{.argv = {"sbsign", "--key", Path("db.key"), "--cert", Path("db.crt"),
                                      "--output", Path("sbsigned.efi"), kSystemdBoot}});
  ASSERT_OK(r);
  Bytes sb = *ReadFileBytes(Path("sbsigned.efi"));
  auto v = VerifyImage(sb, cert_);
  ASSERT_OK(v);
  EXPECT_EQ(v->signer, "/CN=Hull oracle db");
  auto img = *ParsePe(sb);
  EXPECT_EQ(ComputeChecksum(sb, img.checksum_offset()), img.checksum);  // sbsign's CheckSum

  Bytes tampered = sb;
  tampered[img.FindSection(".text")->pointer_to_raw_data + 100] ^= 0x80;
  auto t = VerifyImage(tampered, cert_);
  ASSERT_ERROR(t, ErrorCode::kVerifyFailed);
  // sbverify agrees that the tampered file is bad.
  ASSERT_OK(WriteFileAtomic(Path("tampered.efi"), tampered));
  auto sbv = hull::RunAllowFailure(
      Command{.argv = {"sbverify", "--cert", Path("db.crt"), Path("tampered.efi")}});
  ASSERT_OK(sbv);
  EXPECT_NE(sbv->exit_code, 0);
}

TEST_F(PeOracle, ImageHashOfDebianSignedKernelMatchesPesign) {
  std::string kernel = test_support::DebianKernel();
  ASSERT_FALSE(kernel.empty());
  Bytes k = *ReadFileBytes(kernel);
  auto pes = hull::Run(Command{.argv = {"pesign", "-h", "-i", kernel}});
  ASSERT_OK(pes);
  EXPECT_EQ(pes->out, "hash: " + HexEncode(*ImageHash(k)) + "\n");
}

// The one table of architectures (node/arch.h) against systemd-boot as
// Debian builds it for each: its COFF Machine is the table's, and its file
// name (systemd-boot<x64|aa64>.efi, UEFI's short architecture names) is the
// table's removable-media file's; pe's lookups answer from the table.
TEST(ArchTable, AgreesWithSystemdBootForEachArchitecture) {
  ASSERT_EQ(node::AllArches().size(), 2u);
  for (const node::ArchNames& a : node::AllArches()) {
    const std::string boot =
        a.debian == "amd64" ? test_support::kSystemdBoot : test_support::kSystemdBootArm64;
    ASSERT_OK_AND_ASSIGN(Bytes bytes, ReadFileBytes(boot));
    ASSERT_OK_AND_ASSIGN(PeImage img, ParsePe(bytes));
    EXPECT_EQ(img.machine, a.coff_machine) << a.debian;
    std::string suffix = boot.substr(boot.rfind("systemd-boot") + 12);
    suffix = suffix.substr(0, suffix.size() - 4);  // ".efi"
    for (char& c : suffix) c = char(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(a.removable_boot_file, "BOOT" + suffix + ".EFI") << a.debian;
    ASSERT_OK_AND_ASSIGN(uint16_t m, MachineOfArch(a.debian));
    EXPECT_EQ(m, a.coff_machine);
    EXPECT_EQ(RemovableBootFile(a.coff_machine), a.removable_boot_file);
    EXPECT_EQ(MachineOfRemovableBootFile(a.removable_boot_file), a.coff_machine);
    EXPECT_EQ(node::ArchOfCoffMachine(a.coff_machine), &a);
  }
  EXPECT_EQ(node::ArchOfCoffMachine(0x14c), nullptr);  // i386
  auto bad = MachineOfArch("i386");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "unknown arch 'i386' (allowed: amd64, arm64)");
}

}  // namespace
}  // namespace hull::pe
