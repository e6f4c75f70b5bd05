#include "base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include "base/file.h"
#include "base/sigpipe.h"

extern char** environ;

namespace hull {
namespace {

constexpr size_t kStderrTail = 2000;
constexpr size_t kMaxCapture = size_t(1) << 30;

std::string Tail(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  return "..." + s.substr(s.size() - n);
}

std::vector<std::string> MergedEnv(const std::vector<std::string>& add) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    env[kv.substr(0, kv.find('='))] = kv;
  }
  for (const auto& kv : add) env[kv.substr(0, kv.find('='))] = kv;
  std::vector<std::string> out;
  for (auto& [k, v] : env) out.push_back(v);
  return out;
}

struct Pipe {
  int fd[2] = {-1, -1};
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  bool Open() { return ::pipe2(fd, O_CLOEXEC) == 0; }
  void CloseEnd(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

// In the child after fork: only async-signal-safe calls.
[[noreturn]] void ExecChild(const Command& cmd, char** argv, char** envp, Pipe& in, Pipe& out,
                            Pipe& err, Pipe& status, int out_file) {
  ::setpgid(0, 0);
  ::dup2(in.fd[0], 0);
  ::dup2(out_file >= 0 ? out_file : out.fd[1], 1);
  ::dup2(err.fd[1], 2);
  if (!cmd.cwd.empty() && ::chdir(cmd.cwd.c_str()) != 0) {
    int e = errno;
    (void)!::write(status.fd[1], &e, sizeof e);
    ::_exit(127);
  }
  ::execvpe(argv[0], argv, envp);
  int e = errno;
  (void)!::write(status.fd[1], &e, sizeof e);
  ::_exit(127);
}

}  // namespace

std::string ShellQuote(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && a.find_first_not_of(
                                   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                   "-_./=:,+@%") == std::string::npos;
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) out += (c == '\'') ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    }
  }
  return out;
}

std::string FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string cand = p.substr(start, end - start) + "/" + name;
    if (::access(cand.c_str(), X_OK) == 0) return cand;
    start = end + 1;
  }
  return "";
}

Result<ProcessOutput> RunAllowFailure(const Command& cmd) {
  if (cmd.argv.empty()) return Error(ErrorCode::kInvalidArgument, "empty command");
  const std::string& prog = cmd.argv[0];
  std::vector<std::string> env = MergedEnv(cmd.env);
  std::vector<char*> argv, envp;
  for (const auto& a : cmd.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  Pipe in, out, err, status;
  if (!in.Open() || !out.Open() || !err.Open() || !status.Open()) {
    return ErrnoError(errno, "cannot create pipes for", prog);
  }
  int out_file = -1;
  if (!cmd.stdout_path.empty()) {
    out_file = ::open(cmd.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_file < 0) return ErrnoError(errno, "cannot open stdout file", cmd.stdout_path);
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    if (out_file >= 0) ::close(out_file);
    return ErrnoError(errno, "cannot fork for", prog);
  }
  if (pid == 0) ExecChild(cmd, argv.data(), envp.data(), in, out, err, status, out_file);

  if (out_file >= 0) ::close(out_file);
  in.CloseEnd(0);
  out.CloseEnd(1);
  err.CloseEnd(1);
  status.CloseEnd(1);

  int exec_errno = 0;
  ssize_t got = ::read(status.fd[0], &exec_errno, sizeof exec_errno);
  if (got == sizeof exec_errno) {
    ::waitpid(pid, nullptr, 0);
    if (exec_errno == ENOENT) {
      std::string msg = fmt::format("program '{}' not found", prog);
      if (!cmd.install_hint.empty()) msg += " (install it: " + cmd.install_hint + ")";
      return Error(ErrorCode::kNotFound, msg);
    }
    return ErrnoError(exec_errno, "cannot execute", prog);
  }

  // Feed stdin and drain stdout/stderr until both close or the deadline.
  ProcessOutput result;
  size_t in_off = 0;
  if (cmd.stdin_data.empty()) in.CloseEnd(1);
  auto deadline = std::chrono::steady_clock::now() + cmd.timeout;
  bool timed_out = false;
  while (out.fd[0] >= 0 || err.fd[0] >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[3];
    int n = 0;
    int idx_out = -1, idx_err = -1, idx_in = -1;
    if (out.fd[0] >= 0) idx_out = n, fds[n++] = {out.fd[0], POLLIN, 0};
    if (err.fd[0] >= 0) idx_err = n, fds[n++] = {err.fd[0], POLLIN, 0};
    if (in.fd[1] >= 0) idx_in = n, fds[n++] = {in.fd[1], POLLOUT, 0};
    int pr = ::poll(fds, nfds_t(n), int(std::min<long long>(left.count(), 1000)));
    if (pr < 0 && errno != EINTR) break;
    char buf[65536];
    auto drain = [&](int idx, Pipe& p, std::string& sink) {
      if (idx < 0 || !(fds[idx].revents & (POLLIN | POLLHUP | POLLERR))) return;
      ssize_t r = ::read(p.fd[0], buf, sizeof buf);
      if (r <= 0) {
        p.CloseEnd(0);
      } else if (sink.size() < kMaxCapture) {
        sink.append(buf, size_t(r));
      }
    };
    drain(idx_out, out, result.out);
    drain(idx_err, err, result.err);
    if (idx_in >= 0 && (fds[idx_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      // A child may exit before reading all its input: EPIPE, not SIGPIPE.
      ssize_t w;
      {
        SigpipeGuard guard;
        w = ::write(in.fd[1], cmd.stdin_data.data() + in_off,
                    std::min<size_t>(65536, cmd.stdin_data.size() - in_off));
      }
      if (w <= 0) {
        in.CloseEnd(1);
      } else {
        in_off += size_t(w);
        if (in_off == cmd.stdin_data.size()) in.CloseEnd(1);
      }
    }
  }
  if (timed_out) ::kill(-pid, SIGKILL);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return Errorf(ErrorCode::kTimeout, "'{}' timed out after {} s and was killed{}", prog,
                  cmd.timeout.count() / 1000.0,
                  result.err.empty() ? "" : "; stderr: " + Tail(result.err, kStderrTail));
  }
  if (WIFSIGNALED(wstatus)) {
    result.term_signal = WTERMSIG(wstatus);
  } else {
    result.exit_code = WEXITSTATUS(wstatus);
  }
  return result;
}

Result<ProcessOutput> Run(const Command& cmd) {
  HULL_ASSIGN_OR_RETURN(ProcessOutput r, RunAllowFailure(cmd));
  if (r.term_signal != 0) {
    return Errorf(ErrorCode::kProcessFailed, "'{}' was killed by signal {}{}", ShellQuote(cmd.argv),
                  r.term_signal, r.err.empty() ? "" : ": " + Tail(r.err, kStderrTail));
  }
  if (r.exit_code != 0) {
    std::string tail = Tail(r.err, kStderrTail);
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
    return Errorf(ErrorCode::kProcessFailed, "'{}' exited with status {}{}", ShellQuote(cmd.argv),
                  r.exit_code, tail.empty() ? "" : ": " + tail);
  }
  return r;
}

}  // namespace hull
