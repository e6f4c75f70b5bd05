#include "fleet/fixture.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "base/subprocess.h"
#include "fleet/etcd.h"

extern char** environ;

namespace hull::fleet::testing {
namespace {

using namespace std::chrono_literals;

size_t Append(char* d, size_t s, size_t n, void* u) {
  static_cast<std::string*>(u)->append(d, s * n);
  return s * n;
}

}  // namespace

std::string HullBin() {
  const char* b = std::getenv("HULL_BIN");
  return b ? b : "hull";
}

Result<std::unique_ptr<Child>> Child::Spawn(const std::vector<std::string>& argv,
                                            const std::string& log_path,
                                            const std::vector<std::string>& env) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) envs.emplace_back(*e);
  for (const auto& e : env) envs.push_back(e);
  std::vector<char*> envp;
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Errorf(ErrorCode::kIo, "opening {}: {}", log_path, strerror(errno));
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls here. The child dies with the test even
    // when the test crashes, so no etcd or server outlives it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::execvpe(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::close(log_fd);
  if (pid < 0) return Errorf(ErrorCode::kIo, "fork: {}", strerror(errno));
  return std::unique_ptr<Child>(new Child(pid));
}

Child::~Child() { Stop(); }

void Child::Signal(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

bool Child::WaitExit(std::chrono::milliseconds timeout, int* status) {
  if (reaped_) return true;
  auto end = std::chrono::steady_clock::now() + timeout;
  int st = 0;
  do {
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      reaped_ = true;
      if (status) *status = st;
      return true;
    }
    std::this_thread::sleep_for(5ms);
  } while (std::chrono::steady_clock::now() < end);
  return false;
}

int Child::Stop(int sig) {
  if (reaped_) return 0;
  ::kill(pid_, sig);
  int st = 0;
  if (!WaitExit(5s, &st)) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &st, 0);
    reaped_ = true;
  }
  return st;
}

Result<std::unique_ptr<Etcd>> Etcd::Start(const std::string& dir, std::optional<EtcdTls> tls) {
  std::unique_ptr<Etcd> e(new Etcd);
  e->dir_ = dir + "/etcd";
  e->tls_ = std::move(tls);
  e->url_ = std::string(e->tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(FreePort());
  e->peer_url_ = "http://127.0.0.1:" + std::to_string(FreePort());
  HULL_TRY(e->Launch());
  return e;
}

Etcd::~Etcd() { Kill(); }

void Etcd::Kill() {
  if (child_) child_->Stop(SIGKILL);
  child_.reset();
}

Status Etcd::Restart() {
  Kill();
  return Launch();
}

Status Etcd::Launch() {
  HULL_TRY(Spawn());
  return WaitReady();
}

Status Etcd::Spawn() {
  std::vector<std::string> argv{
      "etcd",
      "--name",
      name_,
      "--data-dir",
      dir_,
      "--listen-client-urls",
      url_,
      "--advertise-client-urls",
      url_,
      "--listen-peer-urls",
      peer_url_,
      "--initial-advertise-peer-urls",
      peer_url_,
      "--initial-cluster",
      initial_cluster_.empty() ? name_ + "=" + peer_url_ : initial_cluster_,
      "--log-level",
      "warn"};
  if (tls_) {
    argv.insert(argv.end(), {"--cert-file", tls_->cert, "--key-file", tls_->key,
                             "--trusted-ca-file", tls_->ca, "--client-cert-auth"});
    argv.insert(argv.end(), tls_->extra_args.begin(), tls_->extra_args.end());
  }
  HULL_ASSIGN_OR_RETURN(child_, Child::Spawn(argv, dir_ + ".log"));
  return Ok();
}

Status Etcd::WaitReady() {
  EtcdAuth probe;
  if (tls_) probe = {tls_->ca, tls_->probe_cert, tls_->probe_key};
  HULL_ASSIGN_OR_RETURN(auto client, EtcdClient::Create({url_}, 500ms, probe));
  for (int i = 0; i < 200; ++i) {  // up to ~20 s
    if (client->Get("hull-test-readiness").ok()) return Ok();
    if (child_->WaitExit(0ms)) {
      return Errorf(ErrorCode::kProcessFailed, "etcd exited; see {}.log", dir_);
    }
    std::this_thread::sleep_for(100ms);
  }
  return Errorf(ErrorCode::kTimeout, "etcd on {} not ready; see {}.log", url_, dir_);
}

Result<std::unique_ptr<EtcdCluster>> EtcdCluster::Start(const std::string& dir, int members) {
  std::unique_ptr<EtcdCluster> c(new EtcdCluster);
  std::string initial;
  for (int i = 0; i < members; ++i) {
    std::unique_ptr<Etcd> e(new Etcd);
    e->name_ = "m" + std::to_string(i);
    e->dir_ = dir + "/etcd-" + std::to_string(i);
    e->url_ = "http://127.0.0.1:" + std::to_string(FreePort());
    e->peer_url_ = "http://127.0.0.1:" + std::to_string(FreePort());
    initial += (i ? "," : "") + e->name_ + "=" + e->peer_url_;
    c->members_.push_back(std::move(e));
  }
  // Every member first: none answers before a quorum has formed.
  for (auto& e : c->members_) {
    e->initial_cluster_ = initial;
    HULL_TRY(e->Spawn());
  }
  for (auto& e : c->members_) HULL_TRY(e->WaitReady());
  return c;
}

std::string EtcdCluster::urls() const {
  std::string out;
  for (const auto& e : members_) out += (out.empty() ? "" : ",") + e->url();
  return out;
}

Status RunScript(const std::string& dir, const std::string& script) {
  auto r = hull::Run(Command{.argv = {"bash", "-euc", script}, .cwd = dir, .timeout = 60s});
  if (!r) return std::move(r).error().Wrap("script in " + dir);
  return Ok();
}

Result<RawReply> RawRequest(const std::string& method, const std::string& url,
                            const std::vector<std::string>& headers, const std::string& body,
                            const ClientTls& tls) {
  CURL* c = curl_easy_init();
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  if (!tls.cacert.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, tls.cacert.c_str());
  if (!tls.cert.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, tls.cert.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, tls.key.c_str());
  }
  if (tls.tls12) {
    curl_easy_setopt(c, CURLOPT_SSLVERSION,
                     long(CURL_SSLVERSION_TLSv1_2) | long(CURL_SSLVERSION_MAX_TLSv1_2));
  }
  curl_slist* h = nullptr;
  // curl adds "Content-Type: application/x-www-form-urlencoded" to POSTs; keep
  // the request exactly as the table says.
  h = curl_slist_append(h, "Content-Type:");
  for (const auto& x : headers) h = curl_slist_append(h, x.c_str());
  RawReply r;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  if (method == "POST") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, long(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) {
    return Errorf(ErrorCode::kUnavailable, "{} {}: {}: {}", method, url, curl_easy_strerror(rc),
                  errbuf);
  }
  r.status = int(status);
  return r;
}

Result<Replica> StartReplica(const std::string& etcd_url, const std::vector<std::string>& args,
                             const std::string& log_path, int port) {
  if (port == 0) port = FreePort();
  std::vector<std::string> argv{
      HullBin(), "fleetlock", "serve", "--listen", "127.0.0.1:" + std::to_string(port),
      "--etcd",  etcd_url};
  argv.insert(argv.end(), args.begin(), args.end());
  Replica r;
  HULL_ASSIGN_OR_RETURN(r.child, Child::Spawn(argv, log_path));
  r.base_url = "http://127.0.0.1:" + std::to_string(port) + "/";
  r.port = port;
  for (int i = 0; i < 100; ++i) {
    auto reply = RawRequest("GET", r.base_url + "v1/status", {}, "");
    if (reply && reply->status == 200) return r;
    if (r.child->WaitExit(0ms)) {
      return Errorf(ErrorCode::kProcessFailed, "hull fleetlock serve exited; see {}", log_path);
    }
    std::this_thread::sleep_for(50ms);
  }
  return Errorf(ErrorCode::kTimeout, "replica on port {} not ready; see {}", port, log_path);
}

Result<std::string> EtcdctlGet(const std::string& etcd_url, const std::string& key) {
  HULL_ASSIGN_OR_RETURN(
      auto out, hull::Run(Command{
                    .argv = {"etcdctl", "--endpoints", etcd_url, "get", "--print-value-only", key},
                    .env = {"ETCDCTL_API=3"},
                    .timeout = 10s,
                    .install_hint = "apt-get install etcd-client"}));
  std::string v = out.out;
  while (!v.empty() && v.back() == '\n') v.pop_back();
  return v;
}

Result<std::vector<std::string>> HistoryOfKey(const std::string& etcd_url, const std::string& key,
                                              const std::string& work_dir) {
  std::string log = work_dir + "/watch.log";
  ::unlink(log.c_str());
  HULL_ASSIGN_OR_RETURN(auto watcher, Child::Spawn({"etcdctl", "--endpoints", etcd_url, "watch",
                                                    "--rev", "1", "--prefix", key},
                                                   log, {"ETCDCTL_API=3"}));
  // A new sentinel each call: an earlier call's sentinel, replayed first,
  // must not end this replay early.
  static std::atomic<unsigned> calls{0};
  const std::string sentinel =
      fmt::format("{}~end-of-history-{}-{}", key, ::getpid(), calls.fetch_add(1));
  HULL_TRY(hull::Run(Command{.argv = {"etcdctl", "--endpoints", etcd_url, "put", sentinel, "x"},
                             .env = {"ETCDCTL_API=3"},
                             .timeout = 10s}));
  for (int i = 0; i < 300; ++i) {  // up to ~30 s
    HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(log));
    if (text.find(sentinel + "\n") != std::string::npos) {
      watcher->Stop(SIGTERM);
      std::vector<std::string> values;
      size_t pos = 0;
      std::vector<std::string> lines;
      while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) nl = text.size();
        lines.push_back(text.substr(pos, nl - pos));
        pos = nl + 1;
      }
      for (size_t l = 0; l + 1 < lines.size(); ++l) {
        if (lines[l] == key && l > 0 && lines[l - 1] == "PUT") values.push_back(lines[l + 1]);
      }
      return values;
    }
    std::this_thread::sleep_for(100ms);
  }
  return Errorf(ErrorCode::kTimeout, "etcdctl watch did not replay to the sentinel; see {}", log);
}

// The visible text of an HTML document: tags dropped (a space each), the five
// entities the page uses decoded, whitespace runs collapsed.
std::string TextOf(const std::string& html) {
  std::string text;
  bool in_tag = false;
  for (size_t i = 0; i < html.size(); ++i) {
    char c = html[i];
    if (c == '<') in_tag = true;
    if (!in_tag) text += c;
    if (c == '>' && in_tag) {
      in_tag = false;
      text += ' ';
    }
  }
  const std::pair<const char*, const char*> entities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}};
  for (const auto& [from, to] : entities) {
    for (size_t p = 0; (p = text.find(from, p)) != std::string::npos; p += std::strlen(to)) {
      text.replace(p, std::strlen(from), to);
    }
  }
  std::string out;
  for (char c : text) {
    bool space = c == ' ' || c == '\n' || c == '\t';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  return out;
}

Result<ProcessOutput> Chromium(const std::string& home, std::vector<std::string> args) {
  std::vector<std::string> argv{"chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                "--window-size=1100,1000"};
  argv.insert(argv.end(), args.begin(), args.end());
  return hull::Run(Command{.argv = argv,
                           .env = {"HOME=" + home},
                           .timeout = 120s,
                           .install_hint = "apt-get install chromium"});
}

}  // namespace hull::fleet::testing
