// UKI layout on Debian's systemd-stub (252) and the PCR 11 measurement rules.
// The kernel and initrd here are arbitrary bytes: layout does not look inside.
#include "uki/uki.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/file.h"
#include "crypto/key.h"
#include "pe/authenticode.h"
#include "pe/pe.h"
#include "support/debian_boot_files.h"
#include "support/status_matchers.h"
#include "uki/measure.h"

namespace hull::uki {
namespace {

using test_support::kSystemdStub;

Bytes Pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed + i * 7);
  return b;
}

UkiInputs SmallInputs() {
  UkiInputs in;
  in.stub = *ReadFileBytes(kSystemdStub);
  in.linux_image = Pattern(5000, 1);
  in.initrds = {Pattern(1001, 2), Pattern(30, 3)};
  in.cmdline = Bytes{'r', 'o'};
  in.os_release = Bytes{'I', 'D', '=', 'h', '\n'};
  in.uname = Bytes{'6', '.', '1'};
  return in;
}

TEST(UkiBuild, LaysOutSectionsLikeUkify) {
  UkiInputs in = SmallInputs();
  auto stub = *pe::ParsePe(in.stub);
  auto out = BuildUki(in);
  ASSERT_OK(out);
  auto img = pe::ParsePe(*out);
  ASSERT_OK(img);
  ASSERT_EQ(img->sections.size(), stub.sections.size() + 5);
  std::vector<std::string> names;
  for (size_t i = stub.sections.size(); i < img->sections.size(); ++i) {
    names.push_back(img->sections[i].name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{".osrel", ".cmdline", ".initrd", ".uname", ".linux"}));
  // Stub 252: SectionAlignment = FileAlignment = 0x200, .sdmagic at 0x19100 + 0x34.
  const auto& osrel = img->sections[stub.sections.size()];
  EXPECT_EQ(osrel.virtual_address, 0x19200u);
  EXPECT_EQ(osrel.pointer_to_raw_data, 0x11400u);  // symbol table stripped, data follows
  EXPECT_EQ(img->pointer_to_symbol_table, 0u);
  EXPECT_EQ(img->number_of_symbols, 0u);
  uint64_t init_data = stub.size_of_initialized_data;
  for (size_t i = stub.sections.size(); i < img->sections.size(); ++i) {
    const auto& prev = img->sections[i - 1];
    const auto& s = img->sections[i];
    EXPECT_EQ(s.virtual_address, pe::AlignUp(prev.virtual_address + prev.virtual_size, 0x200))
        << s.name;
    EXPECT_EQ(s.pointer_to_raw_data % 0x200, 0u);
    EXPECT_EQ(s.size_of_raw_data, pe::AlignUp(s.virtual_size, 0x200));
    init_data += s.virtual_size;
  }
  const auto& last = img->sections.back();
  EXPECT_EQ(img->size_of_image, pe::AlignUp(last.virtual_address + last.virtual_size, 0x200));
  EXPECT_EQ(img->size_of_initialized_data, init_data);
  EXPECT_EQ(img->checksum, 0u);
  EXPECT_EQ(out->size(), last.pointer_to_raw_data + last.size_of_raw_data);
  // Bytes read back equal the inputs; two initrds are each padded to 4 bytes.
  auto bytes_of = [&](const char* name) {
    const pe::Section* s = img->FindSection(name);
    return Bytes(out->begin() + s->pointer_to_raw_data,
                 out->begin() + s->pointer_to_raw_data + s->virtual_size);
  };
  EXPECT_EQ(bytes_of(".linux"), in.linux_image);
  EXPECT_EQ(bytes_of(".cmdline"), in.cmdline);
  Bytes initrd = in.initrds[0];
  initrd.resize(1004, 0);
  initrd.insert(initrd.end(), in.initrds[1].begin(), in.initrds[1].end());
  initrd.resize(1004 + 32, 0);
  EXPECT_EQ(bytes_of(".initrd"), initrd);
}

TEST(UkiBuild, RefusesBadStubsAndNames) {
  UkiInputs in = SmallInputs();
  auto key = *crypto::PrivateKey::Generate(crypto::KeyType::kRsa2048);
  auto cert = *crypto::Certificate::CreateSelfSigned(key, {.common_name = "k"});
  Bytes signed_stub = *pe::SignImage(in.stub, key, cert);
  auto r = AddSections(signed_stub, {{".linux", Bytes{1}}});
  ASSERT_ERROR(r, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(), "stub is signed: use the unsigned .efi.stub");

  Bytes driver = in.stub;
  auto parsed = *pe::ParsePe(driver);
  StoreLe16(&driver[parsed.optional_header_offset + 68], 11);  // EFI boot service driver
  r = AddSections(driver, {{".linux", Bytes{1}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "stub Subsystem is 11, not 10 (EFI application)");

  r = AddSections(in.stub, {{".toolongname", Bytes{1}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "section name '.toolongname' must have 1-8 bytes");

  r = AddSections(in.stub, {{".sbat", Bytes{1}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "stub already has a '.sbat' section");

  // The 252 stub has room for 7 more section headers (0x2c8 .. 0x400).
  std::vector<UkiSection> many;
  for (int i = 0; i < 8; ++i) many.push_back({".s" + std::to_string(i), Bytes{1}});
  r = AddSections(in.stub, many);
  ASSERT_ERROR(r, ErrorCode::kUnsupported);
  EXPECT_EQ(r.error().message(),
            "not enough header space for 8 more sections (table would end at 0x408, section "
            "data starts at 0x400)");
  many.pop_back();
  EXPECT_OK(AddSections(in.stub, many));

  in.linux_image.clear();
  auto e = BuildUki(in);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message(), "the kernel is empty");
}

TEST(UkiMeasure, FollowsThe252ListAndSkipsUnmeasuredSections) {
  UkiInputs in = SmallInputs();
  Bytes uki = *BuildUki(in);
  EXPECT_EQ(*StubVersion(uki), 252);
  auto p = PredictPcr11(uki, crypto::DigestAlgorithm::kSha256, {"enter-initrd"});
  ASSERT_OK(p);
  std::vector<std::string> names;
  for (const auto& s : p->sections) names.push_back(s.name);
  // .uname and .sbat exist in the image but the 252 stub does not measure them.
  EXPECT_EQ(names, (std::vector<std::string>{".linux", ".osrel", ".cmdline", ".initrd"}));
  // Without .uname the prediction is the same.
  in.uname.clear();
  auto q = PredictPcr11(*BuildUki(in), crypto::DigestAlgorithm::kSha256, {"enter-initrd"});
  EXPECT_EQ(p->phases[0].second, q->phases[0].second);
  EXPECT_NE(p->after_sections, p->phases[0].second);
  // An empty cmdline adds no section and changes the value.
  in.cmdline.clear();
  auto c = PredictPcr11(*BuildUki(in), crypto::DigestAlgorithm::kSha256, {});
  EXPECT_EQ(c->sections.size(), 3u);
  EXPECT_NE(c->after_sections, p->after_sections);
}

TEST(UkiMeasure, HashesVirtualSizeBytesZeroFilled) {
  UkiInputs in = SmallInputs();
  Bytes uki = *BuildUki(in);
  auto img = *pe::ParsePe(uki);
  pe::Section& linux_section = img.sections.back();
  ASSERT_EQ(linux_section.name, ".linux");
  // VirtualSize past the raw data: the loaded image holds zeros there.
  linux_section.virtual_size = linux_section.size_of_raw_data + 4096;
  ASSERT_OK(pe::EncodeHeaders(img, uki));
  auto p = PredictPcr11(uki, crypto::DigestAlgorithm::kSha256, {});
  ASSERT_OK(p);
  Bytes expected = in.linux_image;
  expected.resize(linux_section.virtual_size, 0);
  EXPECT_EQ(p->sections[0].digest, crypto::Sha256(expected));

  linux_section.virtual_size = linux_section.size_of_raw_data + kMaxSectionZeroFill + 1;
  ASSERT_OK(pe::EncodeHeaders(img, uki));
  auto big = PredictPcr11(uki, crypto::DigestAlgorithm::kSha256, {});
  ASSERT_ERROR(big, ErrorCode::kUnsupported);
}

TEST(UkiMeasure, PhasePathsAndErrors) {
  Bytes zero(32, 0);
  auto ab = ExtendPhasePath(zero, crypto::DigestAlgorithm::kSha256, "a:b");
  auto a = ExtendPhasePath(zero, crypto::DigestAlgorithm::kSha256, "a");
  auto a_b = ExtendPhasePath(*a, crypto::DigestAlgorithm::kSha256, "b");
  EXPECT_EQ(*ab, *a_b);
  auto bad = ExtendPhasePath(zero, crypto::DigestAlgorithm::kSha256, "a::b");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "empty word in phase path 'a::b'");
  auto stub = ReadFileBytes(kSystemdStub);
  auto no_linux = PredictPcr11(*stub, crypto::DigestAlgorithm::kSha256, {});
  ASSERT_FALSE(no_linux.ok());
  EXPECT_EQ(no_linux.error().message(), "UKI has no .linux section");
  auto not_stub = StubVersion(*ReadFileBytes(test_support::kSystemdBoot));
  // systemd-boot carries a LoaderInfo too, but names itself systemd-boot.
  ASSERT_ERROR(not_stub, ErrorCode::kUnsupported);
  EXPECT_EQ(not_stub.error().message(),
            "cannot read a systemd-stub version from .sdmagic '#### LoaderInfo: systemd-boot "
            "252.39-1~deb12u2 ####'");
}

// The stub must be a PE for the image's machine: Debian's aarch64 stub makes
// an arm64 UKI and is refused for an x86-64 one, and the reverse.
TEST(Uki, StubMachineMustMatchTheImage) {
  UkiInputs in = SmallInputs();
  auto wrong = BuildUki([&] {
    UkiInputs w = in;
    w.machine = pe::kMachineArm64;
    return w;
  }());
  EXPECT_ERROR(wrong, ErrorCode::kInvalidArgument);
  EXPECT_EQ(wrong.error().ToString(),
            "stub: a PE for x86-64, the image is aarch64 (use systemd-boot-efi of the image's "
            "arch)");
  ASSERT_OK_AND_ASSIGN(in.stub, ReadFileBytes(test_support::kSystemdStubArm64));
  EXPECT_ERROR(BuildUki(in), ErrorCode::kInvalidArgument);
  in.machine = pe::kMachineArm64;
  ASSERT_OK_AND_ASSIGN(Bytes uki, BuildUki(in));
  ASSERT_OK_AND_ASSIGN(pe::PeImage img, pe::ParsePe(uki));
  EXPECT_EQ(img.machine, 0xAA64);
  EXPECT_NE(img.FindSection(".linux"), nullptr);
  // The aarch64 stub has no .sdmagic; its version is the LoaderInfo string
  // `grep -boa` finds at offset 0x121a0 of the file, after .data's raw data:
  // "#### LoaderInfo: systemd-stub 252.39-1~deb12u2 ####".
  EXPECT_EQ(img.FindSection(".sdmagic"), nullptr);
  EXPECT_THAT(StubVersion(uki), ::hull::testing::IsOkAndHolds(252));
  ASSERT_OK_AND_ASSIGN(Pcr11Prediction p,
                       PredictPcr11(uki, crypto::DigestAlgorithm::kSha256, kDefaultPhasePaths));
  EXPECT_EQ(p.stub_version, 252);
  EXPECT_EQ(p.sections.front().name, ".linux");
  EXPECT_EQ(pe::MachineOfArch("arm64").value(), 0xAA64);
  EXPECT_EQ(pe::MachineOfArch("amd64").value(), 0x8664);
  EXPECT_ERROR(pe::MachineOfArch("aarch64"), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hull::uki
