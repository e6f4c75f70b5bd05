// A simulated fleet on real parts (docs/fleetlock.md "The simulated fleet"):
// N nodes, each a real `hull-agent --simulated-node DIR` on its own sparse
// disk image; releases published with `hull release add` and served by
// nginx; `hull fleetlock serve` replicas on etcd. A reboot ends the agent's
// process; the harness then boots the entry systemd-boot would pick from
// the disk's ESP (slot::ReadDiskState's boot order, node::AfterTry's boot
// counting) with the health verdict the scenario gives that version, and
// runs the node's boot services (health, bless) and update runs.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"

namespace hull::sim {

struct NodeStats {
  std::string booted;          // the version booted now
  std::set<std::string> ever;  // every version it booted
  int runs = 0;
  bool slot_held = false;  // the agent's record, after its last run
};

struct FleetOptions {
  std::string agent;                        // the hull-agent program
  std::string repository;                   // base URL; each node fetches from <base>n/<i>/
  std::vector<std::string> fleetlock_urls;  // node i uses [i % size]
  int workers = 12;                         // agent processes at once
  std::chrono::milliseconds poll_min{2000}, poll_max{6000};
  int update_deadline = 3;  // --deadline of each update run
  // Called (from a worker thread) at each reboot of node i, before the
  // entry boots: the agent's process has ended and asked for it.
  std::function<void(int node)> on_reboot;
};

// The scenario's health verdict for a version booted on node i: "" healthy.
using Verdict = std::function<std::string(int node, const std::string& version)>;

class Fleet {
 public:
  // Makes node i's directory under `dir` with `disk` copied in, its
  // machine id, configuration, trusted root and trust set.
  static Result<std::unique_ptr<Fleet>> Create(const std::string& dir, int n,
                                               const std::string& disk,
                                               const std::string& root_json,
                                               const std::string& trust_dir, FleetOptions o);
  ~Fleet();
  void SetVerdict(Verdict v);
  // The interval between a node's checks, for the runs that follow.
  void SetPoll(std::chrono::milliseconds min, std::chrono::milliseconds max) {
    o_.poll_min = min;
    o_.poll_max = max;
  }
  // Runs the fleet until done(stats) holds or `limit` passes; false on the limit.
  bool RunUntil(const std::function<bool(const std::vector<NodeStats>&)>& done,
                std::chrono::seconds limit);
  std::vector<NodeStats> Stats();
  // From within RunUntil's predicate: no step starts until Resume, and
  // Pause returns once the steps under way have ended (the fleet stands
  // still: no agent runs, no boots).
  void Pause();
  void Resume();
  // Peak RssAnon (KiB) of any agent process seen.
  long peak_rss_anon_kib() const { return peak_anon_.load(); }
  int size() const { return int(dirs_.size()); }

 private:
  Fleet() = default;
  struct Pending;
  int RunAgent(int i, const std::vector<std::string>& args);
  void Boot(int i);
  void StepNode(int i, bool booting);
  bool RebootRequested(int i);
  void ReadSlot(int i);

  FleetOptions o_;
  std::vector<std::string> dirs_;
  std::mutex mu_;
  std::mutex qmu_;  // RunUntil's queue of steps, paused_
  std::vector<NodeStats> stats_;
  Verdict verdict_;
  std::atomic<long> peak_anon_{0};
  std::atomic<bool> paused_{false};
  std::atomic<int> active_{0};
};

}  // namespace hull::sim
