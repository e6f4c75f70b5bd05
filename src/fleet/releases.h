// Release halts (a Hull extension of FleetLock; docs/fleetlock.md "Release
// halts"): per (flavor, arch, version) the distinct node ids that were granted
// a slot to boot it ("tried", from pre-reboot's client_params.hull) and that
// reported it healthy or rolled back (POST /v1/report). Once the failures
// cross the halt policy the record is marked halted in the same etcd
// transaction, and every replica then refuses pre-reboot toward it.
//
//   key   hull.fleetlock/releases/<flavor>/<arch>/<version>
//   value {"flavor","arch","version","tried":[ids],"healthy":[ids],
//          "rolled_back":[ids],"halted":bool,"halted_at":unix,
//          "resumed_failures":n,"resumed_tried":n,"updated_at":unix}
//
// Every change is a compare-and-swap on the key's version (as the semaphore),
// so any number of replicas agree on the counts and on when a halt happened.
// The value is read back from etcd and parsed as untrusted.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "fleet/etcd.h"
#include "fleet/protocol.h"

namespace hull::fleet {

inline constexpr std::string_view kReleasePrefix = "hull.fleetlock/releases/";
// Distinct ids kept per list of one release (a bound on the value's size).
inline constexpr size_t kMaxReleaseNodes = 20000;
inline constexpr size_t kMaxReleaseValue = 4 << 20;  // read (older servers wrote up to this)
// The largest record written: well below etcd's default request limit
// (--max-request-bytes, 1.5 MiB), so that a put never fails for its size.
// An id that would grow a record past it is not added (as at kMaxReleaseNodes).
inline constexpr size_t kMaxReleaseWrite = 1 << 20;

struct ReleaseRecord {
  HullParams release;
  std::vector<std::string> tried, healthy, rolled_back;  // sorted, distinct
  bool halted = false;
  int64_t halted_at = 0;  // unix seconds, server clock
  // Counts at the last resume: a resumed release halts again only on
  // failures after it.
  uint64_t resumed_failures = 0, resumed_tried = 0;
  // Unix seconds (server clock) of the last write: a grant that added a
  // node, a report, a resume. 0 in records of older servers.
  int64_t updated_at = 0;
  bool operator==(const ReleaseRecord&) const = default;
};

std::string ReleaseKey(const HullParams& release);
// Errors (kCorrupt): not JSON, mistyped or missing fields, invalid ids or
// release fields, a list above kMaxReleaseNodes, a value above
// kMaxReleaseValue. Lists are sorted and deduplicated on read.
Result<ReleaseRecord> ParseReleaseRecord(std::string_view value);
std::string EncodeReleaseRecord(const ReleaseRecord& record);

// When a release halts: --halt-after K (distinct failed nodes) and/or
// --halt-after-fraction F (failed / tried). With both, both must hold; with
// neither, reports are recorded and nothing halts. Counts are those since the
// last resume.
struct HaltPolicy {
  uint64_t after = 0;   // 0 = not set
  double fraction = 0;  // 0 = not set; else in (0, 1]
};
bool ShouldHalt(const HaltPolicy& policy, const ReleaseRecord& record);

// How many records etcd keeps (docs/fleetlock.md "Bounded records"): a
// release reported on by nobody for `retention` goes; per (flavor, arch) at
// most `per_platform`, the lowest versions going first; in all at most
// `total`, so that made-up releases (open mode) cannot fill etcd: a
// pre-reboot naming a release without a record while `total` exist is
// granted and records nothing. A halted record is kept, whatever its age
// or rank, until it is resumed or superseded (a record of a higher version
// of its flavor and arch that is not halted).
struct RecordLimits {
  int64_t retention = 30 * 86400;  // seconds; 0: never by age
  size_t per_platform = 32;        // 0: no cap
  size_t total = 256;              // 0: no cap
};

class ReleaseTracker {
 public:
  // `etcd` must outlive the tracker; `now` returns unix seconds.
  ReleaseTracker(KvStore& etcd, HaltPolicy policy, int max_cas_attempts = 64,
                 std::function<int64_t()> now = nullptr);

  // What pre-reboot adds to its semaphore transaction for a node naming a
  // release: the record's version compared unchanged (so a halt committed
  // meanwhile makes the grant retry and see it), and the node put in "tried".
  // Errors: kRefused when the release is halted, unless the node is in
  // "tried" and not in "rolled_back" (the message names the release),
  // etcd's, kCorrupt.
  Result<TxnExtra> GuardPreReboot(const ClientParams& params);

  // Records a report. Returns true when this report halted the release.
  // Errors: kNotFound when no node was ever granted a slot toward the
  // release (no record), kConflict (CAS lost max times), etcd's, kCorrupt.
  Result<bool> Record(const Report& report);

  // Lifts the halt of `version` (every flavor/arch, or only the given ones).
  // Returns the records resumed. Errors: kNotFound when none of them is
  // halted; etcd's.
  Result<std::vector<HullParams>> Resume(const std::string& version, const std::string& flavor = "",
                                         const std::string& arch = "");

  // Every record under kReleasePrefix, sorted by key.
  Result<std::vector<ReleaseRecord>> Snapshot();

  // Removes the records RecordLimits says go, each by a transaction that
  // requires it unchanged since read (a record written meanwhile stays).
  // Records that do not parse are left alone (`status` shows them). Returns
  // the releases removed.
  Result<std::vector<HullParams>> Collect();

  const HaltPolicy& policy() const { return policy_; }
  void set_limits(const RecordLimits& limits) { limits_ = limits; }
  const RecordLimits& limits() const { return limits_; }

 private:
  struct Current {
    bool exists = false;
    ReleaseRecord record;
    int64_t version = 0;
  };
  Result<Current> Read(const HullParams& release);

  KvStore& etcd_;
  HaltPolicy policy_;
  RecordLimits limits_;
  int max_cas_attempts_;
  std::function<int64_t()> now_;
};

}  // namespace hull::fleet
