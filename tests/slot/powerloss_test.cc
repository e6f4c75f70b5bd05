// Power loss at every point of an install (fault.h): for each operation N of
// the installer -- every disk write (8 KiB pieces), every fsync, every ESP
// write/rename/remove -- run the installer on a fresh copy of a real disk
// image, cut the power at N, apply the crash model (odd N: unsynced writes
// dropped; even N: every other unsynced write persisted), then check that
// the image boots a fully verified /usr: a valid GPT (primary or backup),
// and systemd-boot's default entry names, by usrhash=, a slot whose whole
// verity tree and signature partition verify. Every crash must leave the
// *old* default entry (the new UKI's rename is the last operation), and
// re-running the installer after the crash must finish the update (checked
// after every fifth point and the last ones). The UKIs carry a 64 KiB
// stand-in kernel on the real systemd-stub (fixture.h) to keep this fast.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "slot/fault.h"
#include "slot/fixture.h"
#include "slot/installer.h"
#include "support/status_matchers.h"

namespace hull::slot {
namespace {

using testing::Inputs;
using testing::Release;

constexpr uint64_t kChunk = 8192;
constexpr uint64_t kResumeEvery = 5;

struct Opened {
  std::unique_ptr<FileDisk> disk;
  std::unique_ptr<MtoolsEsp> esp;
};

Opened Open(const std::string& image) {
  Opened o;
  auto d = FileDisk::Open(image, true);
  EXPECT_OK(d);
  o.disk = std::move(*d);
  auto t = gpt::ReadRecovering(DiskSource(*o.disk));
  EXPECT_OK(t);
  o.esp = std::make_unique<MtoolsEsp>(image, *EspOffset(t->table));
  return o;
}

struct Counts {
  uint64_t points = 0, resumed = 0, from_backup = 0;
};

// Runs the whole matrix for installing `payload` onto a copy of `pristine`.
void Matrix(const std::string& pristine, const std::string& work, const Payload& payload,
            const std::string& old_default, const std::string& new_default,
            const crypto::Certificate& cert, Counts& counts) {
  ASSERT_OK(testing::CopyImage(pristine, work));
  uint64_t total = 0;
  {
    Opened o = Open(work);
    PowerCut never;
    FaultyDisk fd(*o.disk, never);
    FaultyEsp fe(*o.esp, never);
    auto r = Install(fd, fe, payload, {.chunk_bytes = kChunk, .verity_cert = &cert});
    ASSERT_OK(r);
    total = never.operations();
    auto def = CheckBootable(*o.disk, *o.esp, &cert);
    ASSERT_OK(def);
    EXPECT_EQ(*def, new_default);
  }
  for (uint64_t n = 1; n <= total; ++n) {
    SCOPED_TRACE(fmt::format("power lost at operation {} of {}", n, total));
    ASSERT_OK(testing::CopyImage(pristine, work));
    {
      Opened o = Open(work);
      PowerCut cut(n);
      FaultyDisk fd(*o.disk, cut);
      FaultyEsp fe(*o.esp, cut);
      auto r = Install(fd, fe, payload, {.chunk_bytes = kChunk, .verity_cert = &cert});
      ASSERT_ERROR(r, ErrorCode::kIo);
      EXPECT_EQ(r.error().message().rfind(fmt::format("power lost at operation {} (", n), 0), 0u)
          << r.error().ToString();
      ASSERT_OK(fd.Crash(n % 2 ? CrashMode::kDropAll : CrashMode::kKeepAlternate));
    }
    Opened after = Open(work);  // a fresh look at the medium, as after a reboot
    auto state = gpt::ReadRecovering(DiskSource(*after.disk));
    ASSERT_OK(state);
    counts.from_backup += state->from_backup;
    auto def = CheckBootable(*after.disk, *after.esp, &cert);
    ASSERT_OK(def);
    EXPECT_EQ(*def, old_default);
    ++counts.points;
    if (n % kResumeEvery == 0 || n + 2 >= total) {
      auto again = Install(*after.disk, *after.esp, payload, {.chunk_bytes = 1 << 20});
      ASSERT_OK(again) << "resuming";
      auto now = CheckBootable(*after.disk, *after.esp, &cert);
      ASSERT_OK(now);
      EXPECT_EQ(*now, new_default);
      ++counts.resumed;
    }
  }
}

TEST(PowerLoss, EveryOperationOfTwoInstallsLeavesAVerifiedDefaultEntry) {
  auto t0 = std::chrono::steady_clock::now();
  auto in = Inputs::Create();
  ASSERT_OK(in);
  Inputs& inputs = **in;
  auto r1 = inputs.MakeRelease("202611.24.0", 256, false);
  auto r2 = inputs.MakeRelease("202612.01.0", 640, false);
  auto r3 = inputs.MakeRelease("202612.08.0", 384, false);
  ASSERT_OK(r1);
  ASSERT_OK(r2);
  ASSERT_OK(r3);
  auto base = inputs.MakeDisk(*r1, "base");
  ASSERT_OK(base);
  auto p2 = LoadPayload(r2->dir);
  auto p3 = LoadPayload(r3->dir);
  ASSERT_OK(p2);
  ASSERT_OK(p3);

  // 1: the second release into the empty slot B.
  Counts c1;
  const std::string work = inputs.dir() + "/work.raw";
  Matrix(*base, work, *p2, "hull_202611.24.0+3.efi", "hull_202612.01.0+3.efi", inputs.verity_cert(),
         c1);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());

  // 2: the third release over slot A (the first release's UKI goes first).
  const std::string with_b = inputs.dir() + "/with_b.raw";
  ASSERT_OK(testing::CopyImage(*base, with_b));
  {
    Opened o = Open(with_b);
    ASSERT_OK(Install(*o.disk, *o.esp, *p2));
  }
  Counts c2;
  Matrix(with_b, work, *p3, "hull_202612.01.0+3.efi", "hull_202612.08.0+3.efi",
         inputs.verity_cert(), c2);

  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "power-loss points tried: %llu (install into empty slot B: %llu, over slot A: %llu); "
      "GPT read from the backup copy after %llu of them; installs resumed to completion "
      "after %llu; %.1f s\n",
      (unsigned long long)(c1.points + c2.points), (unsigned long long)c1.points,
      (unsigned long long)c2.points, (unsigned long long)(c1.from_backup + c2.from_backup),
      (unsigned long long)(c1.resumed + c2.resumed), secs);
  EXPECT_GE(c1.points + c2.points, 200u);
  EXPECT_GT(c1.from_backup + c2.from_backup, 0u);  // the backup fallback was exercised
}

}  // namespace
}  // namespace hull::slot
