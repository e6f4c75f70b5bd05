// Real boots of hull-init under QEMU (TCG): a DPS disk (erofs /usr, its
// verity tree from `hull verity format`, an ext4 root) made with
// `hull disk create`, an initrd with hull-init as /init and the modules it
// needs from the host's cloud kernel, and a guest program as
// /usr/lib/systemd/systemd that reports what it sees (vm_guest.cc).
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "base/file.h"
#include "base/hex.h"
#include "base/subprocess.h"
#include "gpt/dps.h"
#include "gpt/gpt.h"
#include "init/dps.h"
#include "init/modules.h"
#include "support/flip_byte.h"
#include "support/status_matchers.h"

namespace hull::init {
namespace {

constexpr auto kBootTimeout = std::chrono::seconds(90);
constexpr size_t kDataSize = 512 * 1024;

std::string Kernel(std::string* release) {
  DIR* d = opendir("/boot");
  std::string best;
  while (d) {
    dirent* e = readdir(d);
    if (!e) break;
    std::string n = e->d_name;
    if (n.starts_with("vmlinuz-") && n.find("cloud") != std::string::npos && n > best) best = n;
  }
  if (d) closedir(d);
  if (best.empty()) return "";
  *release = best.substr(8);
  return "/boot/" + best;
}

void Sh(const std::string& script) {
  auto r = hull::Run(Command{.argv = {"sh", "-euc", script}, .timeout = std::chrono::minutes(2)});
  ASSERT_OK(r) << script;
}

Bytes DataPattern() {
  Bytes b(kDataSize);
  uint32_t x = 0x12345678;
  for (auto& c : b) {
    x = x * 1664525u + 1013904223u;
    c = uint8_t(x >> 24);
  }
  return b;
}

// Boots and watches the serial log; ends QEMU when a line of `stops` appears,
// QEMU exits, or kBootTimeout passes. Returns the console log.
std::string Boot(const std::string& dir, const std::string& disk, const std::string& append,
                 std::vector<std::string> extra = {}) {
  static const std::vector<std::string> stops = {"HULL-READ", "Kernel panic", "reboot: Power down",
                                                 "reboot: Restarting"};
  std::string release, kernel = Kernel(&release);
  std::string log = dir + "/console-" + std::to_string(getpid()) + "-" +
                    std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = freopen(log.c_str(), "w", stdout);
    (void)f;
    dup2(1, 2);
    std::string drive = "file=" + disk + ",if=virtio,format=raw";
    std::string initrd = dir + "/initrd.cpio";
    std::vector<std::string> args = {"qemu-system-x86_64",
                                     "-machine",
                                     "q35",
                                     "-accel",
                                     "tcg",
                                     "-cpu",
                                     "max",
                                     "-m",
                                     "1024",
                                     "-nographic",
                                     "-no-reboot",
                                     "-kernel",
                                     kernel,
                                     "-initrd",
                                     initrd,
                                     "-append",
                                     append,
                                     "-drive",
                                     drive,
                                     "-net",
                                     "none"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + kBootTimeout;
  std::string text;
  bool exited = false;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto t = ReadFileText(log);
    if (t.ok()) text = *t;
    bool stop = false;
    for (const auto& s : stops) stop |= text.find(s) != std::string::npos;
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    if (stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the rest of the line
      break;
    }
  }
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  auto t = ReadFileText(log);
  if (t.ok()) text = *t;
  if (getenv("HULL_VM_VERBOSE")) std::fprintf(stderr, "%s\n", text.c_str());
  return text;
}

class InitVm : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!HULL_INIT_STATIC) return;
    auto td = TempDir::Create("hull-init-vm");
    ASSERT_OK(td);
    dir_ = new TempDir(std::move(*td));
    const std::string d = dir_->path();
    BuildUsr(d);
    if (HasFatalFailure()) return;
    BuildDisk(d);
    if (HasFatalFailure()) return;
    BuildInitrd(d);
    ready_ = !HasFatalFailure();
  }
  void SetUp() override {
    if (!HULL_INIT_STATIC) GTEST_SKIP() << "sanitizer build: hull-init is not linked statically";
    ASSERT_TRUE(ready_) << "building the test disk or initrd failed";
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static void BuildUsr(const std::string& d) {
    Sh("mkdir -p " + d + "/usr/lib/systemd " + d + "/usr/lib/hull " + d + "/usr/etc && cp " +
       HULL_INIT_GUEST_BIN + " " + d + "/usr/lib/systemd/systemd && echo hull-test > " + d +
       "/usr/etc/hostname");
    ASSERT_OK(WriteFileAtomic(d + "/usr/lib/hull/data.bin", DataPattern()));
    Sh("mkfs.erofs --quiet -T 0 -U 6d0e1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b --all-root " + d +
       "/usr.erofs " + d + "/usr");
    auto r = hull::Run(Command{.argv = {getenv("HULL_BIN"), "verity", "format", d + "/usr.erofs",
                                        d + "/usr.verity", "--salt", std::string(64, '5'), "--uuid",
                                        "0f0e0d0c-0b0a-4908-8706-050403020100", "--json"}});
    ASSERT_OK(r);
    root_hash_ = nlohmann::json::parse(r->out)["root_hash"];
  }

  static void BuildDisk(const std::string& d) {
    Bytes h = *HexDecode(root_hash_);
    gpt::VerityUuids u = *gpt::DpsVerityUuids(h);
    Sh("mkdir -p " + d + "/root/usr && mkfs.ext4 -q -F -d " + d + "/root " + d + "/root.ext4 24M");
    std::ofstream(d + "/layout.yaml")
        << "partitions:\n"
        << "  - {type: usr, label: usr_1, uuid: " << u.data.ToString() << ", content: usr.erofs}\n"
        << "  - {type: usr-verity, label: usr_1_verity, uuid: " << u.verity.ToString()
        << ", content: usr.verity}\n"
        << "  - {type: root, label: root, content: root.ext4}\n";
    auto r = hull::Run(Command{.argv = {getenv("HULL_BIN"), "disk", "create", d + "/layout.yaml",
                                        "--out", d + "/disk.raw"}});
    ASSERT_OK(r);
  }

  static void BuildInitrd(const std::string& d) {
    std::string release;
    ASSERT_FALSE(Kernel(&release).empty()) << "no /boot/vmlinuz-*cloud* (linux-image-cloud-amd64)";
    std::string mods = "/usr/lib/modules/" + release;
    auto dep = ReadFileText(mods + "/modules.dep");
    auto builtin = ReadFileText(mods + "/modules.builtin");
    ASSERT_OK(dep);
    ASSERT_OK(builtin);
    auto idx = ParseModules(*dep, *builtin);
    ASSERT_OK(idx);
    std::set<std::string> loaded;
    std::vector<std::string> files;
    for (const char* m : {"virtio_pci", "virtio_blk", "dm_verity", "erofs", "ext4", "overlay",
                          "sha256_ssse3", "softdog", "loop"}) {
      auto o = LoadOrder(*idx, m, loaded);
      ASSERT_OK(o);
      files.insert(files.end(), o->begin(), o->end());
    }
    std::string staged = d + "/initrd/usr/lib/modules/" + release;
    std::string script = "mkdir -p " + staged + " " + d + "/initrd/dev && cp " + HULL_INIT_BIN +
                         " " + d + "/initrd/init && mknod " + d + "/initrd/dev/console c 5 1";
    std::string newdep;
    for (const auto& f : files) {
      script += " && install -D -m 0644 " + mods + "/" + f + " " + staged + "/" + f;
      std::string line = f + ":";
      for (const auto& dn : idx->deps.at(ModuleName(f))) line += " " + idx->path.at(dn);
      newdep += line + "\n";
    }
    Sh(script);
    ASSERT_OK(WriteFileAtomic(staged + "/modules.dep", newdep));
    ASSERT_OK(WriteFileAtomic(staged + "/modules.builtin", *builtin));
    Sh("cd " + d + "/initrd && find . | cpio -o -H newc -R 0:0 --quiet > " + d + "/initrd.cpio");
  }

  static std::string Append(const std::string& hash) {
    return "console=ttyS0 panic=-1 usrhash=" + hash + " hull.disk_timeout=5";
  }

  static TempDir* dir_;
  static std::string root_hash_;
  static bool ready_;
};
bool InitVm::ready_ = false;
TempDir* InitVm::dir_ = nullptr;
std::string InitVm::root_hash_;

TEST_F(InitVm, BootsVerifiedUsrAndSwitchesRoot) {
  std::string log = Boot(dir_->path(), dir_->path() + "/disk.raw", Append(root_hash_));
  EXPECT_NE(log.find("HULL-INIT-OK usr=/dev/mapper/usr erofs ro etc=overlay root=ext4 write=EROFS"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("HULL-READ data.bin: ok 524288"), std::string::npos) << log;
  EXPECT_NE(log.find("hull-init: watchdog armed: 120 s until systemd takes it over"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("hull-init: dm-verity table: 1 /dev/vda1 /dev/vda2 4096 4096"),
            std::string::npos)
      << log;
  // sha256-ssse3 was loaded before the table: dm-verity picked the AVX2 driver.
  EXPECT_NE(log.find("device-mapper: verity: sha256 using implementation \"sha256-avx2\""),
            std::string::npos)
      << log;
}

TEST_F(InitVm, RebootsWhenNoPartitionMatchesUsrhash) {
  // A second, blank disk (no GPT) is named in the message.
  const std::string d = dir_->path();
  Sh("truncate -s 1M " + d + "/blank.raw");
  std::string other(64, 'a');
  std::string log = Boot(d, d + "/disk.raw", Append(other),
                         {"-drive", "file=" + d + "/blank.raw,if=virtio,format=raw"});
  EXPECT_NE(log.find("hull-init: FAILED: after waiting up to 5 s for the disk: no partition with "
                     "UUID aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa (usr) and "
                     "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa (usr-verity) on 1 disk(s) "
                     "(devices without a usable GPT: /dev/vdb: protective MBR: missing boot "
                     "signature 0x55AA)"),
            std::string::npos)
      << log;
  // A reset, not a halt: boot counting needs it (QEMU's -no-reboot ends the run).
  size_t said = log.find(
      "hull-init: rebooting in 5 s: /usr is not mounted; boot counting falls back to the previous "
      "entry once this one's tries are used");
  EXPECT_NE(said, std::string::npos) << log;
  EXPECT_NE(log.find("reboot: Restarting system", said), std::string::npos) << log;
  EXPECT_EQ(log.find("HULL-INIT-"), std::string::npos) << log;
}

// hull-init arms softdog and leaves it running across switch_root: a PID 1
// that never takes it over (and so never pings it) is reset by the kernel.
TEST_F(InitVm, WatchdogResetsAHangAfterSwitchRoot) {
  const std::string d = dir_->path();
  auto start = std::chrono::steady_clock::now();
  std::string log =
      Boot(d, d + "/disk.raw", Append(root_hash_) + " hull.watchdog=10 hull.test_hang");
  auto took = std::chrono::steady_clock::now() - start;
  size_t armed = log.find("hull-init: watchdog armed: 10 s until systemd takes it over");
  ASSERT_NE(armed, std::string::npos) << log;
  // Closed without the magic character: the kernel keeps the timer running
  // (its message comes before hull-init's line).
  EXPECT_NE(log.find("watchdog: watchdog0: watchdog did not stop!"), std::string::npos) << log;
  size_t hang = log.find("HULL-HANG", armed);
  ASSERT_NE(hang, std::string::npos) << log;
  EXPECT_NE(log.find("softdog: Initiating system reboot", hang), std::string::npos) << log;
  EXPECT_LT(took, kBootTimeout - std::chrono::seconds(5)) << log;
}

TEST_F(InitVm, WatchdogOffWhenAskedSo) {
  const std::string d = dir_->path();
  std::string log = Boot(d, d + "/disk.raw", Append(root_hash_) + " hull.watchdog=0");
  EXPECT_NE(log.find("hull-init: watchdog: off (hull.watchdog=0)"), std::string::npos) << log;
  EXPECT_EQ(log.find("softdog"), std::string::npos) << log;
  EXPECT_NE(log.find("HULL-READ data.bin: ok"), std::string::npos) << log;
}

// Locates data.bin's bytes in the erofs image (stored uncompressed and
// contiguous) and flips one inside the file in a copy of the disk, once.
// Returns the byte's offset inside the usr partition.
uint64_t MakeCorruptDisk(const std::string& d) {
  static uint64_t in_usr = 0;
  if (in_usr) return in_usr;
  auto img = ReadFileBytes(d + "/usr.erofs");
  EXPECT_OK(img);
  if (!img.ok()) return 0;
  Bytes pat = DataPattern();
  auto it = std::search(img->begin(), img->end(), pat.begin(), pat.begin() + 4096);
  EXPECT_NE(it, img->end());
  EXPECT_EQ(std::search(it + 1, img->end(), pat.begin(), pat.begin() + 4096), img->end());
  if (it == img->end()) return 0;
  uint64_t pos = uint64_t(it - img->begin()) + 300000;
  auto table = gpt::ReadFile(d + "/disk.raw");
  EXPECT_OK(table);
  if (!table.ok()) return 0;
  uint64_t off = table->partitions[0].first_lba * table->sector_size + pos;
  Sh("cp --sparse=always " + d + "/disk.raw " + d + "/bad.raw");
  auto f = File::OpenReadWrite(d + "/bad.raw");
  EXPECT_OK(f);
  if (!f.ok()) return 0;
  uint8_t b[1];
  EXPECT_OK(f->ReadAt(off, b));
  b[0] ^= 0x01;
  EXPECT_OK(f->WriteAt(off, b));
  in_usr = pos;
  return in_usr;
}

TEST_F(InitVm, FlippedByteInUsrGivesEio) {
  const std::string d = dir_->path();
  uint64_t in_usr = MakeCorruptDisk(d);
  ASSERT_NE(in_usr, 0u);
  std::string log = Boot(d, d + "/bad.raw", Append(root_hash_));
  EXPECT_NE(log.find("HULL-INIT-OK"), std::string::npos) << log;
  EXPECT_NE(log.find("HULL-READ data.bin: EIO"), std::string::npos) << log;
  // The kernel names the verity data block holding the flipped byte.
  EXPECT_NE(log.find(": data block " + std::to_string(in_usr / 4096) + " is corrupted"),
            std::string::npos)
      << log;
}

// hull.verity=restart: the same corrupted read restarts the machine instead
// (QEMU's -no-reboot turns the restart into an exit), so the read never
// returns to the guest program.
TEST_F(InitVm, FlippedByteWithRestartPolicyRestarts) {
  const std::string d = dir_->path();
  ASSERT_NE(MakeCorruptDisk(d), 0u);
  std::string log = Boot(d, d + "/bad.raw", Append(root_hash_) + " hull.verity=restart");
  EXPECT_NE(log.find("5555 1 restart_on_corruption"), std::string::npos) << log;
  EXPECT_NE(log.find("HULL-INIT-OK"), std::string::npos) << log;
  EXPECT_NE(log.find("reboot: Restarting system"), std::string::npos) << log;
  EXPECT_EQ(log.find("HULL-READ"), std::string::npos) << log;
}

// With a TPM (swtpm, TPM 2.0, CRB interface) PCR 11 holds exactly the two
// initrd phases: QEMU's direct kernel boot measures nothing into PCR 11, so
// the value is the chain from zero computed with Python's hashlib (see
// tpm_test.cc): SHA256(SHA256(0^32 || SHA256("enter-initrd")) || SHA256("leave-initrd")).
TEST_F(InitVm, ExtendsPcr11WithInitrdPhases) {
  const std::string d = dir_->path();
  std::string state = d + "/tpm", sock = d + "/swtpm.sock";
  Sh("mkdir -p " + state);
  pid_t swtpm = fork();
  if (swtpm == 0) {
    execlp("swtpm", "swtpm", "socket", "--tpm2", "--tpmstate", ("dir=" + state).c_str(), "--ctrl",
           ("type=unixio,path=" + sock).c_str(), nullptr);
    _exit(127);
  }
  for (int i = 0; i < 50 && access(sock.c_str(), F_OK) != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::string log = Boot(d, d + "/disk.raw", Append(root_hash_),
                         {"-chardev", "socket,id=chrtpm,path=" + sock, "-tpmdev",
                          "emulator,id=tpm0,chardev=chrtpm", "-device", "tpm-crb,tpmdev=tpm0"});
  kill(swtpm, SIGKILL);
  waitpid(swtpm, nullptr, 0);
  EXPECT_NE(log.find("hull-init: PCR 11 extended with enter-initrd"), std::string::npos) << log;
  EXPECT_NE(log.find("hull-init: PCR 11 extended with leave-initrd"), std::string::npos) << log;
  EXPECT_NE(log.find("HULL-PCR11 75df9c8b17d8a6465f2862028b892ea13a3d7c37685a945e5ff34fb44956c207"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("HULL-INIT-OK"), std::string::npos) << log;
}

// A live boot (docs/iso.md; its own test, init_live_vm_test): a medium like
// `hull disk iso`'s, the usr pair and the root template (linux-generic,
// hull-root-image) and no DPS root, made once. Its template's SHA-256 comes
// from sha256sum of the partition cut out at sfdisk's offsets; a copy has one
// byte of the template changed.
std::string MakeLiveMedium(const std::string& d, const std::string& root_hash) {
  static std::string digest;
  if (!digest.empty()) return digest;
  Bytes h = *HexDecode(root_hash);
  gpt::VerityUuids u = *gpt::DpsVerityUuids(h);
  std::ofstream(d + "/medium.yaml")
      << "partitions:\n"
      << "  - {type: usr, label: usr_1, uuid: " << u.data.ToString() << ", content: usr.erofs}\n"
      << "  - {type: usr-verity, label: usr_1_verity, uuid: " << u.verity.ToString()
      << ", content: usr.verity}\n"
      << "  - {type: linux-generic, label: hull-root-image, content: root.ext4}\n";
  auto r = hull::Run(Command{.argv = {getenv("HULL_BIN"), "disk", "create", d + "/medium.yaml",
                                      "--out", d + "/medium.raw"}});
  EXPECT_OK(r);
  // The template's first sector, then its SHA-256.
  auto sum = hull::Run(
      Command{.argv = {"sh", "-euc",
                       "set -- $(sfdisk --dump \"$0\" | sed -n 's/.*start= *\\([0-9]*\\), size= "
                       "*\\([0-9]*\\),.*name=\"hull-root-image\".*/\\1 \\2/p'); echo $1; "
                       "dd if=\"$0\" bs=512 skip=$1 count=$2 status=none | sha256sum | cut -c1-64",
                       d + "/medium.raw"}});
  EXPECT_OK(sum);
  if (!sum.ok()) return "";
  std::istringstream out(sum->out);
  uint64_t start = 0;
  std::string hex;
  if (!(out >> start >> hex) || hex.size() != 64) return "";
  EXPECT_OK(hull::Run(
      Command{.argv = {"cp", "--sparse=always", d + "/medium.raw", d + "/medium.raw.altered"}}));
  EXPECT_OK(test_support::FlipByte(d + "/medium.raw.altered", start * 512 + 8192));
  digest = hex;
  return digest;
}

TEST_F(InitVm, LiveBootMountsATemplateThatMatchesTheCommandLine) {
  const std::string d = dir_->path();
  const std::string digest = MakeLiveMedium(d, root_hash_);
  ASSERT_EQ(digest.size(), 64u);
  std::string log = Boot(d, d + "/medium.raw", Append(root_hash_) + " hull.roottemplate=" + digest);
  EXPECT_NE(log.find("hull-init: live boot from the install medium"), std::string::npos) << log;
  EXPECT_NE(log.find("hull-init: live root template /dev/vda3 matches hull.roottemplate="),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("HULL-INIT-OK"), std::string::npos) << log;
}

TEST_F(InitVm, LiveBootRefusesAnAlteredTemplate) {
  const std::string d = dir_->path();
  const std::string digest = MakeLiveMedium(d, root_hash_);
  ASSERT_EQ(digest.size(), 64u);
  std::string log =
      Boot(d, d + "/medium.raw.altered", Append(root_hash_) + " hull.roottemplate=" + digest);
  EXPECT_NE(log.find("hull-init: FAILED: the install medium's root template (hull-root-image) "
                     "has SHA-256 "),
            std::string::npos)
      << log;
  EXPECT_NE(log.find(", the signed command line's hull.roottemplate= says " + digest +
                     ": the medium was altered"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("mounted /dev/loop"), std::string::npos) << log;
  EXPECT_EQ(log.find("HULL-INIT-"), std::string::npos) << log;
}

TEST_F(InitVm, LiveBootRefusesACommandLineWithoutTheDigest) {
  const std::string d = dir_->path();
  ASSERT_EQ(MakeLiveMedium(d, root_hash_).size(), 64u);
  std::string log = Boot(d, d + "/medium.raw", Append(root_hash_));
  EXPECT_NE(log.find("hull-init: FAILED: hull.roottemplate= missing from the kernel command line"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("HULL-INIT-"), std::string::npos) << log;
}

}  // namespace
}  // namespace hull::init
