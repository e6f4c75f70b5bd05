#include "sim/fleet.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <queue>
#include <random>
#include <thread>

#include "base/file.h"
#include "node/boot_count.h"
#include "slot/state.h"

extern char** environ;

namespace hull::sim {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

namespace {

long RssAnonKib(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("RssAnon:", 0) == 0) return std::strtol(line.c_str() + 8, nullptr, 10);
  return 0;
}

Status CopyFile(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return ErrnoError(ec.value(), "copying", from);
  return Ok();
}

}  // namespace

Result<std::unique_ptr<Fleet>> Fleet::Create(const std::string& dir, int n, const std::string& disk,
                                             const std::string& root_json,
                                             const std::string& trust_dir, FleetOptions o) {
  std::unique_ptr<Fleet> f(new Fleet());
  f->o_ = std::move(o);
  f->stats_.resize(size_t(n));
  for (int i = 0; i < n; ++i) {
    const std::string d = fmt::format("{}/node{:04}", dir, i);
    for (const char* sub :
         {"/proc", "/usr/lib/hull", "/etc/hull", "/var/lib/hull", "/var/tmp", "/run/hull"})
      fs::create_directories(d + sub);
    // cp --sparse: the images are mostly holes.
    auto cp = std::system(fmt::format("cp --sparse=always '{}' '{}/disk.raw'", disk, d).c_str());
    if (cp != 0) return Errorf(ErrorCode::kIo, "copying {} for node {}", disk, i);
    HULL_TRY(CopyFile(root_json, d + "/usr/lib/hull/root.json"));
    std::error_code ec;
    fs::copy(trust_dir, d + "/usr/lib/hull/trust", fs::copy_options::recursive, ec);
    if (ec) return ErrnoError(ec.value(), "copying", trust_dir);
    HULL_TRY(WriteFileAtomic(d + "/etc/machine-id", fmt::format("{:032x}\n", 0xa11ce000u + i)));
    json cfg = {{"repository", fmt::format("{}n/{}/", f->o_.repository, i)},
                {"trusted_root", "/usr/lib/hull/root.json"},
                {"channel", "stable"},
                {"upgrade_channel", "NodeImage"},
                {"boot_tries", 3},
                {"health_units", json::array()},
                {"fleetlock",
                 {{"url", f->o_.fleetlock_urls[size_t(i) % f->o_.fleetlock_urls.size()]},
                  {"group", "default"}}}};
    HULL_TRY(WriteFileAtomic(d + "/etc/hull/update.json", cfg.dump(2) + "\n"));
    f->dirs_.push_back(d);
  }
  return f;
}

Fleet::~Fleet() = default;

void Fleet::SetVerdict(Verdict v) {
  std::lock_guard<std::mutex> l(mu_);
  verdict_ = std::move(v);
}

std::vector<NodeStats> Fleet::Stats() {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

int Fleet::RunAgent(int i, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {o_.agent, "--simulated-node", dirs_[size_t(i)]};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const std::string log = dirs_[size_t(i)] + "/agent.log";
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0].c_str(), &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return 127;
  int status = 0;
  // RssAnon sampled every 50 ms (hundreds of agents run at once: a finer
  // poll costs the harness more CPU than the agents use); the pidfd wakes
  // the wait as soon as the agent exits.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  for (;;) {
    long kib = RssAnonKib(pid);
    for (long m = peak_anon_.load(); kib > m && !peak_anon_.compare_exchange_weak(m, kib);) {
    }
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0) {
      if (errno == EINTR) continue;
      ADD_FAILURE() << "waitpid " << pid << ": " << std::strerror(errno);
      if (pidfd >= 0) ::close(pidfd);
      return 127;
    }
    if (pidfd >= 0) {
      pollfd p{.fd = pidfd, .events = POLLIN, .revents = 0};
      (void)::poll(&p, 1, 50);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  // Nothing here kills an agent: a signal is its own crash.
  if (WIFSIGNALED(status))
    ADD_FAILURE() << "node " << i << ": hull-agent " << args[0] << " died of signal "
                  << WTERMSIG(status) << "; see " << log;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// What the firmware and systemd-boot do: the first entry of the boot order
// boots (its counter bumped when it is on trial), and /run starts empty.
void Fleet::Boot(int i) {
  const std::string& d = dirs_[size_t(i)];
  if (o_.on_reboot && RebootRequested(i)) o_.on_reboot(i);
  std::string version, usrhash;
  {
    auto opened = slot::OpenDisk(d + "/disk.raw", true);
    if (!opened.ok()) {
      std::fprintf(stderr, "node %d: %s\n", i, opened.error().ToString().c_str());
      return;
    }
    auto st = slot::ReadDiskState(*opened->disk, *opened->esp);
    if (!st.ok() || !st->default_entry()) {
      std::fprintf(stderr, "node %d: no entry to boot\n", i);
      return;
    }
    const slot::Uki& u = *st->default_entry();
    version = u.version;
    usrhash = u.usrhash;
    const node::EntryName next = node::AfterTry(u.entry);
    if (next.ToString() != u.file) {
      if (auto st = opened->esp->Rename(u.file, next.ToString()); !st.ok())
        ADD_FAILURE() << "node " << i << ": " << st.error().ToString();
    }
  }
  std::error_code ec;
  fs::remove_all(d + "/run", ec);
  fs::create_directories(d + "/run/hull", ec);
  auto must = [i](const Status& st) {
    if (!st.ok()) ADD_FAILURE() << "node " << i << ": " << st.error().ToString();
  };
  must(WriteFileAtomic(d + "/proc/cmdline",
                       "usrhash=" + usrhash + " mount.usrfstype=erofs mount.usrflags=ro rw\n"));
  must(WriteFileAtomic(d + "/usr/lib/os-release", "ID=hull\nNAME=Hull\nIMAGE_VERSION=" + version +
                                                      "\nVARIANT_ID=immutable\n"));
  std::string verdict;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (verdict_) verdict = verdict_(i, version);
    NodeStats& s = stats_[size_t(i)];
    s.booted = version;
    s.ever.insert(version);
  }
  must(WriteFileAtomic(d + "/health", verdict.empty() ? "healthy\n" : verdict + "\n"));
}

bool Fleet::RebootRequested(int i) {
  std::error_code ec;
  return fs::exists(dirs_[size_t(i)] + "/run/reboot-requested", ec);
}

void Fleet::ReadSlot(int i) {
  auto text = ReadFileText(dirs_[size_t(i)] + "/var/lib/hull/agent.json", 1 << 16);
  bool held = false;
  if (text.ok()) {
    json j = json::parse(*text, nullptr, false);
    if (j.is_object() && j.contains("fleetlock") && j["fleetlock"].is_object())
      held = j["fleetlock"].value("held", false);
  }
  std::lock_guard<std::mutex> l(mu_);
  stats_[size_t(i)].slot_held = held;
}

struct Fleet::Pending {
  Clock::time_point at;
  int node;
  bool boot;
  bool operator>(const Pending& o) const { return at > o.at; }
};

// One step of node i: a boot (then its boot services and the update run
// that follows), or an update run.
void Fleet::StepNode(int i, bool booting) {
  if (booting) {
    Boot(i);
    const int health = RunAgent(i, {"health", "--timeout", "30"});
    if (RebootRequested(i)) return;
    if (health == 0) RunAgent(i, {"bless"});
  }
  RunAgent(i, {"update", "--deadline", std::to_string(o_.update_deadline)});
  ReadSlot(i);
  std::lock_guard<std::mutex> l(mu_);
  ++stats_[size_t(i)].runs;
}

void Fleet::Pause() {
  {
    // Under the queue's lock: a worker that saw paused_ false counted itself active.
    std::lock_guard<std::mutex> l(qmu_);
    paused_ = true;
  }
  while (active_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

void Fleet::Resume() { paused_ = false; }

bool Fleet::RunUntil(const std::function<bool(const std::vector<NodeStats>&)>& done,
                     std::chrono::seconds limit) {
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> queue;
  std::mt19937 rng(12345);
  const auto start = Clock::now();
  auto poll = [&] {
    std::uniform_int_distribution<long> ms(o_.poll_min.count(), o_.poll_max.count());
    return std::chrono::milliseconds(ms(rng));
  };
  std::vector<int> boots_at_start;
  {
    std::lock_guard<std::mutex> l(qmu_);
    for (int i = 0; i < size(); ++i) {
      // A node that has not booted yet boots; others check within a poll.
      if (Stats()[size_t(i)].booted.empty())
        boots_at_start.push_back(i);
      else
        queue.push({start + poll(), i, false});
    }
  }
  std::atomic<bool> stop{false};
  // Boots go first: a node that rebooted holds a slot, and a real node's
  // boot does not wait for other nodes' update runs.
  std::deque<int> boots(boots_at_start.begin(), boots_at_start.end());
  auto worker = [&] {
    while (!stop) {
      Pending p{};
      p.node = -1;
      {
        std::lock_guard<std::mutex> l(qmu_);
        if (paused_) {
          // p.node stays -1
        } else if (!boots.empty()) {
          p = {Clock::now(), boots.front(), true};
          boots.pop_front();
          ++active_;
        } else if (!queue.empty() && queue.top().at <= Clock::now()) {
          p = queue.top();
          queue.pop();
          ++active_;
        }
      }
      if (p.node < 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      StepNode(p.node, p.boot);
      std::lock_guard<std::mutex> l(qmu_);
      --active_;
      if (RebootRequested(p.node))
        boots.push_back(p.node);
      else
        queue.push({Clock::now() + poll(), p.node, false});
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < o_.workers; ++w) threads.emplace_back(worker);
  bool ok = false;
  while (Clock::now() - start < limit) {
    if (done(Stats())) {
      ok = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  stop = true;
  for (auto& t : threads) t.join();
  return ok;
}

}  // namespace hull::sim
