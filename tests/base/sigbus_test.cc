#include "base/sigbus.h"

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/file.h"
#include "support/status_matchers.h"

namespace hull {
namespace {

// A map whose file is cut short afterwards: touching the lost pages is the
// SIGBUS an I/O error on a mapped page raises (mmap(2), "SIGBUS").
struct CutMap {
  TempDir dir;
  File file;
  MappedRegion map;
};

CutMap MapThenCut() {
  auto dir = TempDir::Create("hull-sigbus-test");
  EXPECT_OK(dir);
  const size_t page = size_t(::sysconf(_SC_PAGESIZE));
  auto f = File::CreateNew(dir->path() + "/f");
  EXPECT_OK(f);
  EXPECT_OK(f->WriteAt(0, Bytes(3 * page, 0x5a)));
  auto m = f->Map(0, 3 * page);
  EXPECT_OK(m);
  EXPECT_OK(f->Truncate(0));
  return {std::move(*dir), std::move(*f), std::move(*m)};
}

TEST(Sigbus, FaultInsideTheGuardIsAnIoError) {
  CutMap c = MapThenCut();
  volatile uint8_t sink = 0;
  const uint8_t* p = c.map.bytes().data();
  const size_t n = c.map.bytes().size();
  Status st = CatchSigbus("the test file", [&] {
    for (size_t i = 0; i < n; i += 512) sink = uint8_t(sink + p[i]);
  });
  EXPECT_ERROR(st, ErrorCode::kIo);
  // The guard is gone and the thread can run another one.
  EXPECT_ERROR(CatchSigbus("the test file", [&] { sink = p[n - 1]; }), ErrorCode::kIo);
  EXPECT_OK(CatchSigbus("nothing", [&] { sink = 1; }));
}

TEST(Sigbus, NestedGuardsReturnToTheInnermost) {
  CutMap c = MapThenCut();
  volatile uint8_t sink = 0;
  Status inner;
  Status outer =
      CatchSigbus("outer", [&] { inner = CatchSigbus("inner", [&] { sink = c.map.bytes()[0]; }); });
  EXPECT_OK(outer);
  EXPECT_ERROR(inner, ErrorCode::kIo);
}

TEST(SigbusDeathTest, FaultOutsideAnyGuardStillKills) {
  EXPECT_EXIT(
      {
        CutMap c = MapThenCut();
        EXPECT_OK(CatchSigbus("nothing", [] {}));  // the handler is installed
        volatile uint8_t sink = c.map.bytes()[0];
        (void)sink;
        std::_Exit(0);
      },
      ::testing::KilledBySignal(SIGBUS), "");
}

}  // namespace
}  // namespace hull
