// libFuzzer target: the FleetLock JSON parsers that see untrusted bytes: the
// request and report bodies (from any HTTP client), the semaphore value and
// release records (from etcd, which anyone with etcd access may write) and
// error bodies and resume replies (from a server).
// Checks round trips: whatever parses re-encodes to something that parses to
// the same value.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fleet/protocol.h"
#include "fleet/releases.h"
#include "fleet/semaphore.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hull::fleet;
  std::string_view text(reinterpret_cast<const char*>(data), size);

  ParsedRequest req = ParseRequestBody(text);
  if (req.ok) {
    ParsedRequest again = ParseRequestBody(EncodeRequestBody(req.params));
    if (!again.ok || !(again.params == req.params)) std::abort();
  }

  ParsedReport rep = ParseReportBody(text);
  if (rep.ok) {
    if (!rep.report.params.hull) std::abort();
    ParsedReport again = ParseReportBody(EncodeReportBody(rep.report));
    if (!again.ok || !(again.report == rep.report)) std::abort();
  }

  auto sem = ParseSemaphore(text);
  if (sem.ok()) {
    if (sem->holders.size() > kMaxHolders || sem->total_slots > kMaxSlots) std::abort();
    auto again = ParseSemaphore(EncodeSemaphore(*sem));
    if (!again.ok() || !(*again == *sem)) std::abort();
    Semaphore s = *sem;
    size_t before = s.holders.size();
    if (s.Lock("fuzz-id") == Semaphore::LockResult::kAcquired &&
        (s.holders.size() != before + 1 || before >= s.total_slots)) {
      std::abort();
    }
  }

  auto rec = ParseReleaseRecord(text);
  if (rec.ok()) {
    if (rec->tried.size() > kMaxReleaseNodes) std::abort();
    auto again = ParseReleaseRecord(EncodeReleaseRecord(*rec));
    if (!again.ok() || !(*again == *rec)) std::abort();
  }

  auto resumed = DecodeResumeReply(text);
  if (resumed.ok()) {
    for (const HullParams& h : *resumed)
      if (!ValidateHullField("version", h.version).ok() ||
          !ValidateHullField("flavor", h.flavor).ok() || !ValidateHullField("arch", h.arch).ok())
        std::abort();
  }

  std::string kind;
  DecodeErrorBody(400, text, &kind);
  if (kind.size() > 128) std::abort();
  return 0;
}
