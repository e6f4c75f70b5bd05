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

class Client {
 public:
  using Clock = std::function<int64_t()>;  // Unix seconds

  // `trusted_root` is used when `state_dir` holds no root.json yet; state_dir
  // may be empty (nothing persisted).
  static Result<Client> Create(std::unique_ptr<Fetcher> fetcher, ByteSpan trusted_root,
                               std::string state_dir, Clock clock = nullptr,
                               ClientLimits limits = {});

  // Runs steps 5.3-5.6: afterwards targets() is the verified targets role.
  Status Refresh();

  const Root& root() const { return root_; }
  const Targets& targets() const { return *targets_; }
  const std::optional<Timestamp>& timestamp() const { return timestamp_; }

  // Downloads a target named in targets() and checks length and hashes.
  Result<Bytes> FetchTarget(const std::string& name);
  // Streams a target into `path` (through an AtomicFile), hashing while
  // writing; the file appears at `path` only when its length and every hash
  // match targets(). Returns the bytes written. Same errors as FetchTarget.
  Result<uint64_t> FetchTargetTo(const std::string& name, const std::string& path);
  // The target entry (kNotFound) and its path below the repository base
  // ("targets/<sha256>.<name>" with consistent snapshots).
  Result<const TargetFile*> FindTarget(const std::string& name) const;
  Result<std::string> TargetPath(const std::string& name) const;
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
  Result<T> FetchMeta(Role role, const std::string& file, const MetaFile& want,
                      uint64_t max_bytes, Bytes& bytes);
  Status Persist(const std::string& name, ByteSpan bytes);
  Result<Bytes> LoadState(const std::string& name);
  Status CheckExpiry(const Common& c, Role role) const;

  std::unique_ptr<Fetcher> fetcher_;
  std::string state_dir_;
  Clock clock_;
  ClientLimits limits_;
  Root root_;
  std::optional<Timestamp> timestamp_;
  std::optional<Snapshot> snapshot_;
  std::optional<Targets> targets_;
};

// Checks data against the length and the hashes it must have (sha256/sha512).
Status CheckHashes(ByteSpan data, std::optional<uint64_t> length,
                   const std::map<std::string, std::string>& hashes, const std::string& what);

}  // namespace hull::tuf
