// Test fixtures for the FleetLock oracle tests: a real etcd (Debian's
// etcd-server) on loopback ports in a temp dir, `hull fleetlock serve`
// replicas, raw HTTP requests, and an independent record of every value the
// semaphore key ever had (replayed by etcdctl from etcd's history).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/result.h"
#include "base/subprocess.h"
#include "support/free_port.h"

namespace hull::fleet::testing {

using test_support::FreePort;

// A child process with stdout+stderr going to log_path.
class Child {
 public:
  static Result<std::unique_ptr<Child>> Spawn(const std::vector<std::string>& argv,
                                              const std::string& log_path,
                                              const std::vector<std::string>& env = {});
  ~Child();
  void Signal(int sig);
  // SIGKILL (or SIGTERM) and reap; returns the wait status.
  int Stop(int sig = 9);
  // Waits up to `timeout` for exit; true if it exited.
  bool WaitExit(std::chrono::milliseconds timeout, int* status = nullptr);
  pid_t pid() const { return pid_; }

 private:
  explicit Child(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  bool reaped_ = false;
};

// PEM files for a TLS etcd: its server certificate and key, and the CA its
// clients must be signed by (--client-cert-auth).
struct EtcdTls {
  std::string cert, key, ca;
  std::string probe_cert, probe_key;    // a client certificate for the readiness probe
  std::vector<std::string> extra_args;  // more etcd flags
};

class Etcd {
 public:
  // Starts etcd in dir/etcd on two free ports and waits until it answers.
  // With tls: clients speak https and need a certificate of tls->ca.
  static Result<std::unique_ptr<Etcd>> Start(const std::string& dir,
                                             std::optional<EtcdTls> tls = std::nullopt);
  ~Etcd();
  // SIGKILL, then (Restart) start again on the same ports and data dir.
  void Kill();
  Status Restart();
  const std::string& url() const { return url_; }

 private:
  friend class EtcdCluster;
  Etcd() = default;
  Status Launch();
  Status Spawn();
  Status WaitReady();
  std::string dir_, url_, peer_url_;
  std::string name_ = "default", initial_cluster_;  // empty: this member alone
  std::optional<EtcdTls> tls_;
  std::unique_ptr<Child> child_;
};

// A cluster of etcd members on loopback (plain http), member i in
// dir/etcd-<i> with its own client and peer ports.
class EtcdCluster {
 public:
  // Starts every member and waits until each answers (a quorum formed).
  static Result<std::unique_ptr<EtcdCluster>> Start(const std::string& dir, int members = 3);
  // SIGKILL member i (its data stays).
  void Kill(int i) { members_[size_t(i)]->Kill(); }
  // Starts member i again on its ports and data dir; waits until it
  // answers, which needs a quorum of the members.
  Status Restart(int i) { return members_[size_t(i)]->Restart(); }
  // Every member's client URL, comma-separated (etcdctl --endpoints,
  // hull fleetlock --etcd).
  std::string urls() const;
  const std::string& url(int i) const { return members_[size_t(i)]->url(); }

 private:
  std::vector<std::unique_ptr<Etcd>> members_;
};

// Starts `$HULL_BIN fleetlock serve --listen 127.0.0.1:<port> --etcd URL args...`
// (port 0: a free one) and waits until /v1/status answers. base_url is
// "http://127.0.0.1:PORT/".
struct Replica {
  std::unique_ptr<Child> child;
  std::string base_url;
  int port = 0;
};
Result<Replica> StartReplica(const std::string& etcd_url, const std::vector<std::string>& args,
                             const std::string& log_path, int port = 0);

struct RawReply {
  int status = 0;
  std::string body;
};
// PEM files a client presents and trusts (empty: none / system store).
struct ClientTls {
  std::string cacert, cert, key;
  bool tls12 = false;  // at most TLS 1.2
};
// One HTTP request with exactly these headers ("Name: value") and body,
// through libcurl. method "POST" or "GET". Errors (kUnavailable) carry
// curl's detailed message (e.g. the TLS alert the server sent).
Result<RawReply> RawRequest(const std::string& method, const std::string& url,
                            const std::vector<std::string>& headers, const std::string& body,
                            const ClientTls& tls = {});

// Runs a bash script (e.g. openssl commands) in `dir`. Errors: its exit.
Status RunScript(const std::string& dir, const std::string& script);

// Runs `etcdctl watch --rev 1 --prefix <key>` (replaying etcd's whole history
// of the key), writes a sentinel key under the prefix, and returns every value
// the key `key` had, in revision order. Independent of Hull's etcd client.
Result<std::vector<std::string>> HistoryOfKey(const std::string& etcd_url, const std::string& key,
                                              const std::string& work_dir);

// `etcdctl get --print-value-only KEY`.
Result<std::string> EtcdctlGet(const std::string& etcd_url, const std::string& key);

std::string HullBin();

// The visible text of an HTML document: tags dropped (a space each), the five
// entities the status page uses decoded, whitespace runs collapsed.
std::string TextOf(const std::string& html);

// Headless Chromium (Debian's `chromium`) with HOME=home and `args`
// (--dump-dom URL, --screenshot=FILE URL), 1100x1000, at most 120 s.
Result<ProcessOutput> Chromium(const std::string& home, std::vector<std::string> args);

}  // namespace hull::fleet::testing
