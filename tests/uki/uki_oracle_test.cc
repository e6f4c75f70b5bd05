// UKIs built by the hull CLI against the reference tools, run live:
//   objdump -h (binutils) shows the appended sections at the VMAs, sizes and
//   file offsets ukify's rules give, computed here from objdump's own view of
//   the stub; objcopy --dump-section reads back the input bytes;
//   /lib/systemd/systemd-measure calculate (systemd 252) predicts the same PCR 11
//   as `hull uki measure` for the same inputs, per phase path and bank;
//   sbverify accepts the UKI signed by `hull sign`, and signing leaves PCR 11 alone.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "base/file.h"
#include "base/subprocess.h"
#include "crypto/key.h"
#include "support/debian_boot_files.h"
#include "support/status_matchers.h"

namespace hull {
namespace {

using test_support::kSystemdStub;

struct ObjdumpSection {
  std::string name;
  uint64_t size = 0, vma = 0, offset = 0;
};

// Parses `objdump -h` lines: "Idx Name Size VMA LMA File-off Algn".
std::vector<ObjdumpSection> Objdump(const std::string& path) {
  auto r = hull::Run(Command{.argv = {"objdump", "-h", path}});
  EXPECT_OK(r);
  std::vector<ObjdumpSection> out;
  std::istringstream in(r.ok() ? r->out : "");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    int idx;
    ObjdumpSection s;
    std::string size, vma, lma, off;
    if (!(l >> idx >> s.name >> size >> vma >> lma >> off)) continue;
    s.size = std::stoull(size, nullptr, 16);
    s.vma = std::stoull(vma, nullptr, 16);
    s.offset = std::stoull(off, nullptr, 16);
    out.push_back(s);
  }
  return out;
}

uint64_t Up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

class UkiOracle : public ::testing::Test {
 protected:
  void SetUp() override {
    hull_ = std::getenv("HULL_BIN") ? std::getenv("HULL_BIN") : "";
    ASSERT_FALSE(hull_.empty()) << "HULL_BIN not set (run through ctest)";
    kernel_ = test_support::DebianKernel();
    ASSERT_FALSE(kernel_.empty()) << test_support::kNoKernelHint;
    dir_ = std::make_unique<TempDir>(std::move(TempDir::Create("uki-oracle").value()));
    Bytes initrd(300001);
    for (size_t i = 0; i < initrd.size(); ++i) initrd[i] = uint8_t(i * 13 + 5);
    ASSERT_OK(WriteFileAtomic(P("initrd"), initrd));
    ASSERT_OK(WriteFileAtomic(P("os-release"), "ID=hull\nVERSION_ID=202611.24.0\n"));
    ASSERT_OK(WriteFileAtomic(P("cmdline"), "console=ttyS0 usrhash=0123abcd ro"));
    Bytes splash(777, 0x42);
    ASSERT_OK(WriteFileAtomic(P("splash.bmp"), splash));
  }
  std::string P(const std::string& n) const { return dir_->path() + "/" + n; }
  std::string Hull(std::vector<std::string> args) {
    args.insert(args.begin(), hull_);
    auto r = hull::Run(Command{.argv = args});
    EXPECT_OK(r);
    return r.ok() ? r->out : "";
  }
  std::string Build(const std::string& out, bool splash) {
    std::vector<std::string> a = {"uki",          "build",         "--linux",   kernel_,
                                  "--initrd",     P("initrd"),     "--cmdline", "@" + P("cmdline"),
                                  "--os-release", P("os-release"), "--uname",   "6.1.0-test",
                                  "--out",        P(out)};
    if (splash) a.insert(a.end(), {"--splash", P("splash.bmp")});
    return Hull(a);
  }
  std::vector<std::string> MeasureArgv(bool splash, const std::string& bank) {
    std::vector<std::string> a = {"/lib/systemd/systemd-measure",
                                  "calculate",
                                  "--linux=" + kernel_,
                                  "--osrel=" + P("os-release"),
                                  "--cmdline=" + P("cmdline"),
                                  "--initrd=" + P("initrd"),
                                  "--bank=" + bank};
    if (splash) a.push_back("--splash=" + P("splash.bmp"));
    return a;
  }

  std::string hull_, kernel_;
  std::unique_ptr<TempDir> dir_;
};

TEST_F(UkiOracle, ObjdumpShowsUkifyLayoutAndInputBytes) {
  Build("uki.efi", true);
  auto stub = Objdump(kSystemdStub);
  auto uki = Objdump(P("uki.efi"));
  ASSERT_EQ(uki.size(), stub.size() + 6);
  // Debian's 252 stub: SectionAlignment and FileAlignment are both 0x200 (objdump -p).
  const uint64_t kAlign = 0x200;
  std::vector<std::pair<std::string, uint64_t>> expect = {
      {".osrel", std::filesystem::file_size(P("os-release"))},
      {".cmdline", std::filesystem::file_size(P("cmdline"))},
      {".splash", 777},
      {".initrd", 300001},
      {".uname", 10},
      {".linux", std::filesystem::file_size(kernel_)}};
  uint64_t vma = Up(stub.back().vma + stub.back().size, kAlign);
  for (size_t i = 0; i < expect.size(); ++i) {
    const auto& s = uki[stub.size() + i];
    EXPECT_EQ(s.name, expect[i].first);
    EXPECT_EQ(s.size, expect[i].second) << s.name;
    EXPECT_EQ(s.vma, vma) << s.name;
    EXPECT_EQ(s.offset % kAlign, 0u) << s.name;
    vma = Up(vma + s.size, kAlign);
  }
  for (const char* name : {".cmdline", ".linux", ".osrel"}) {
    std::string dump = P(std::string("dump") + name);
    auto r =
        hull::Run(Command{.argv = {"objcopy", std::string("--dump-section=") + name + "=" + dump,
                                   P("uki.efi"), P("scratch.efi")}});
    ASSERT_OK(r);
    std::string src = std::string(name) == ".linux"   ? kernel_
                      : std::string(name) == ".osrel" ? P("os-release")
                                                      : P("cmdline");
    EXPECT_EQ(*ReadFileBytes(dump), *ReadFileBytes(src)) << name;
  }
}

TEST_F(UkiOracle, Pcr11EqualsSystemdMeasure) {
  for (bool splash : {false, true}) {
    SCOPED_TRACE(splash ? "with splash" : "without splash");
    Build("m.efi", splash);
    for (const std::string bank : {"sha256", "sha1"}) {
      auto ref = hull::Run(Command{.argv = MeasureArgv(splash, bank)});
      ASSERT_OK(ref);
      // systemd-measure prints "11:<bank>=<hex>" per default phase path.
      std::string ours;
      for (const char* phase :
           {"enter-initrd", "enter-initrd:leave-initrd", "enter-initrd:leave-initrd:sysinit",
            "enter-initrd:leave-initrd:sysinit:ready"}) {
        ours += "11:" + bank + "=" +
                Hull({"uki", "measure", P("m.efi"), "--bank", bank, "--phase", phase});
      }
      EXPECT_EQ(ours, ref->out);
    }
  }
  auto one = hull::Run(
      Command{.argv = {"/lib/systemd/systemd-measure", "calculate", "--linux=" + kernel_,
                       "--osrel=" + P("os-release"), "--cmdline=" + P("cmdline"),
                       "--initrd=" + P("initrd"), "--bank=sha256", "--phase=sysinit:ready"}});
  ASSERT_OK(one);
  Build("m.efi", false);
  EXPECT_EQ(one->out,
            "11:sha256=" + Hull({"uki", "measure", P("m.efi"), "--phase", "sysinit:ready"}));
}

TEST_F(UkiOracle, SignedUkiPassesSbverifyAndKeepsPcr11) {
  Build("u.efi", false);
  auto key = *crypto::PrivateKey::Generate(crypto::KeyType::kRsa2048);
  auto cert = *crypto::Certificate::CreateSelfSigned(key, {.common_name = "Hull db"});
  ASSERT_OK(WriteFileAtomic(P("db.key"), key.ToPem(), 0600));
  ASSERT_OK(WriteFileAtomic(P("db.crt"), cert.ToPem()));
  Hull({"sign", P("u.efi"), "--key", P("db.key"), "--cert", P("db.crt"), "--out", P("s.efi")});
  auto sbv = hull::Run(Command{.argv = {"sbverify", "--cert", P("db.crt"), P("s.efi")}});
  ASSERT_OK(sbv);
  EXPECT_EQ(Hull({"uki", "measure", P("u.efi")}), Hull({"uki", "measure", P("s.efi")}));
  auto v =
      hull::Run(Command{.argv = {hull_, "sign", "--verify", P("s.efi"), "--cert", P("db.crt")}});
  EXPECT_OK(v);
}

// --arch arm64 builds on Debian's aarch64 systemd-stub: binutils' aarch64
// objdump reads the result as an AArch64 PE with the stub's sections and the
// appended ones; the x86-64 stub is refused for arm64.
TEST_F(UkiOracle, Arm64UkiAsAarch64ObjdumpReadsIt) {
  Hull({"uki", "build", "--arch", "arm64", "--linux", kernel_, "--initrd", P("initrd"), "--cmdline",
        "@" + P("cmdline"), "--os-release", P("os-release"), "--out", P("a.efi")});
  auto f = hull::Run(Command{.argv = {"aarch64-linux-gnu-objdump", "-f", P("a.efi")}});
  ASSERT_OK(f);
  EXPECT_NE(f->out.find("file format pei-aarch64-little"), std::string::npos) << f->out;
  auto h = hull::Run(Command{.argv = {"aarch64-linux-gnu-objdump", "-h", P("a.efi")}});
  ASSERT_OK(h);
  std::vector<std::string> names;
  std::istringstream in(h->out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream l(line);
    std::string idx, name;
    if (l >> idx >> name && !idx.empty() && std::isdigit(static_cast<unsigned char>(idx[0])))
      names.push_back(name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{".text", ".data", ".osrel", ".cmdline", ".initrd",
                                             ".linux"}));
  auto bad = RunAllowFailure(
      Command{.argv = {hull_, "uki", "build", "--arch", "arm64", "--stub", kSystemdStub, "--linux",
                       kernel_, "--initrd", P("initrd"), "--cmdline", "x", "--os-release",
                       P("os-release"), "--out", P("b.efi")}});
  ASSERT_OK(bad);
  EXPECT_EQ(bad->exit_code, 2);
  EXPECT_NE(bad->err.find("stub: a PE for x86-64, the image is aarch64"), std::string::npos)
      << bad->err;
  EXPECT_FALSE(std::filesystem::exists(P("b.efi")));
}

}  // namespace
}  // namespace hull
