// The TUF 1.0 client workflow (specification section 5, "Detailed client
// workflow"): root rotation, then timestamp, snapshot and targets, each with
// signature thresholds, version (rollback) and expiry (freeze) checks, and
// length caps. Trusted metadata persists in a state directory, so rollback
// protection holds across runs.
//
// Errors callers act on:
//   kBadSignature  too few valid signatures (threshold), wrong keys
//   kRollback      a version older than the trusted one
//   kExpired       metadata past its expiry (freeze attack)
//   kVerifyFailed  hash/length mismatch, a version other than the one the
//                  role above names (mix-and-match), data beyond the cap
//   kCorrupt       malformed metadata
//   kUnavailable   timestamp, snapshot, targets or a target named by signed
//                  metadata is missing (HTTP 404/403): a freeze or a broken
//                  repository, never "nothing new"
//
// Time: metadata expires against "now" = max(the clock, ClientOptions::
// clock_floor, the latest time this client accepted metadata). The last is
// kept in the state directory (file `latest_known_time`, as tough does), so
// a clock set back after a refresh cannot let expired metadata through; a
// damaged file is kCorrupt from Create, never a floor of 0.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "tuf/fetcher.h"
#include "tuf/metadata.h"

namespace hull::tuf {

struct ClientLimits {
  uint64_t root_bytes = 512 * 1024;
  uint64_t timestamp_bytes = 16 * 1024;
  uint64_t snapshot_bytes = 2 * 1024 * 1024;
  uint64_t targets_bytes = 32 * 1024 * 1024;
  uint64_t max_root_rotations = 256;
};

using ClientClock = std::function<int64_t()>;  // Unix seconds

struct ClientOptions {
  // Where trusted metadata persists; empty: nothing persisted.
  std::string state_dir;
  ClientClock clock;  // null: the system clock
  // The earliest time accepted as now, e.g. the image's build time
  // (SOURCE_DATE_EPOCH of the running image); 0: none.
  int64_t clock_floor = 0;
  ClientLimits limits;
};

class Client {
 public:
  using Clock = ClientClock;

  // `trusted_root` is used when `state_dir` holds no root.json yet; state_dir
  // may be empty (nothing persisted).
  static Result<Client> Create(std::unique_ptr<Fetcher> fetcher, ByteSpan trusted_root,
                               std::string state_dir, Clock clock = nullptr,
                               ClientLimits limits = {});
  static Result<Client> Create(std::unique_ptr<Fetcher> fetcher, ByteSpan trusted_root,
                               ClientOptions options);

  // Runs steps 5.3-5.6: afterwards targets() is the verified targets role.
  // On success the effective now is recorded as the latest known time.
  Status Refresh();
  // The time expiry is checked against (see above).
  int64_t Now() const;

  const Root& root() const { return root_; }
  const Targets& targets() const { return *targets_; }
  const std::optional<Timestamp>& timestamp() const { return timestamp_; }

  // Downloads a target named in targets() and checks length and hashes.
  // kNotFound when targets() does not name it; kUnavailable when it is named
  // but the repository does not have it.
  Result<Bytes> FetchTarget(const std::string& name);
  // Streams a target into `path` (through an AtomicFile), hashing while
  // writing; the file appears at `path` only when its length and every hash
  // match targets(). Returns the bytes written. Same errors as FetchTarget.
  Result<uint64_t> FetchTargetTo(const std::string& name, const std::string& path);
  // Streams a target through `sink` (at most its signed length), hashing as
  // it goes; the bytes are trusted only when this returns them counted:
  // until then the sink's destination must not be used. Same errors.
  Result<uint64_t> StreamTarget(const std::string& name, const Fetcher::Sink& sink);
  // The target entry (kNotFound) and its path below the repository base
  // ("targets/<sha256>.<name>" with consistent snapshots). FindTarget looks
  // in the top-level targets role only (Hull's own repositories).
  Result<const TargetFile*> FindTarget(const std::string& name) const;
  Result<std::string> TargetPath(const std::string& name) const;
  Result<std::string> TargetPath(const std::string& name, const TargetFile& file) const;
  // Spec 5.6.7: searches the targets role and then its delegations, depth
  // first in listed order, only roles whose paths or hash prefixes cover
  // `name`, stopping below a terminating role; at most kMaxDelegationVisits
  // roles. Delegated roles are fetched (as the snapshot names them), verified
  // against their delegator's keys and persisted as "<quoted name>.json".
  // kNotFound when no role names the target; kRefused when the search
  // reached the cap with roles left to visit (a delegation graph too large to
  // search, not an answer about the target); the errors of Refresh for a
  // delegated role that fails verification, or is missing from the snapshot
  // (kCorrupt).
  Result<const TargetFile*> LookupTarget(const std::string& name);
  static constexpr size_t kMaxDelegationVisits = 32;
  // The fetcher, for files outside TUF's targets (content-addressed chunks a
  // signed target names by SHA-256).
  Fetcher& fetcher() { return *fetcher_; }

 private:
  Client() = default;
  Status UpdateRoot();
  Status UpdateTimestamp();
  Status UpdateSnapshot();
  Status UpdateTargets();
  template <typename T>
  Result<T> FetchMeta(Role role, const std::string& file, const MetaFile& want, uint64_t max_bytes,
                      Bytes& bytes);
  Status Persist(const std::string& name, ByteSpan bytes);
  Result<Bytes> LoadState(const std::string& name);
  Status CheckExpiry(const Common& c, Role role) const;
  static bool IsCurrent(const Bytes& local, const MetaFile& want);
  Result<const Targets*> LoadDelegated(const DelegatedRole& role, const Delegations& by);

  std::unique_ptr<Fetcher> fetcher_;
  std::string state_dir_;
  Clock clock_;
  int64_t floor_ = 0;  // max(clock_floor, the persisted latest known time)
  ClientLimits limits_;
  Root root_;
  std::optional<Timestamp> timestamp_;
  std::optional<Snapshot> snapshot_;
  std::optional<Targets> targets_;
  // The verified bytes behind snapshot_ and targets_ (empty when unknown):
  // reused without a download while the role above names the same version.
  Bytes local_snapshot_, local_targets_;
  // Loaded in this run, by role name, with the envelope to verify again
  // when another delegator reaches the same role.
  std::map<std::string, std::pair<Envelope, Targets>> delegated_;
};

// Checks data against the length and the hashes it must have (sha256/sha512).
Status CheckHashes(ByteSpan data, std::optional<uint64_t> length,
                   const std::map<std::string, std::string>& hashes, const std::string& what);

}  // namespace hull::tuf
