#include "vm/file_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/sigpipe.h"

namespace hull::vm {
namespace {

// How long a connection may sit idle (no request, or a client not reading
// the body) before it is closed.
constexpr int kIdleMs = 60'000;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '!' || c > '~') return false;
  return true;
}

// Waits until `fd` is ready for `events` or the server stops; false on stop,
// timeout or error.
bool WaitFor(int fd, short events, int stop_fd) {
  pollfd p[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
  int n = poll(p, 2, kIdleMs);
  return n > 0 && (p[1].revents & POLLIN) == 0 && (p[0].revents & (events | POLLHUP)) != 0;
}

bool SendAll(int fd, std::string_view s, int stop_fd) {
  while (!s.empty()) {
    ssize_t n = send(fd, s.data(), s.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!WaitFor(fd, POLLOUT, stop_fd)) return false;
      continue;
    }
    if (n <= 0) return false;
    s.remove_prefix(size_t(n));
  }
  return true;
}

}  // namespace

Result<RequestHead> ParseRequestHead(std::string_view head) {
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  std::string_view rest = eol == std::string_view::npos ? "" : head.substr(eol + 2);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Error(ErrorCode::kInvalidArgument, "request line is not 'METHOD TARGET VERSION'");
  }
  RequestHead r;
  r.method = std::string(line.substr(0, sp1));
  r.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(r.method) || !IsToken(r.target)) {
    return Error(ErrorCode::kInvalidArgument, "request method or target is empty or not text");
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return Errorf(ErrorCode::kInvalidArgument, "unsupported HTTP version '{}'",
                  std::string(version.substr(0, 16)));
  }
  r.keep_alive = version == "HTTP/1.1";
  while (!rest.empty()) {
    size_t e = rest.find("\r\n");
    std::string_view h = rest.substr(0, e);
    rest = e == std::string_view::npos ? "" : rest.substr(e + 2);
    size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Error(ErrorCode::kInvalidArgument, "header line without a name and a colon");
    }
    if (Lower(h.substr(0, colon)) != "connection") continue;
    std::string v = Lower(Trim(h.substr(colon + 1)));
    if (v == "close") r.keep_alive = false;
    if (v == "keep-alive") r.keep_alive = true;
  }
  return r;
}

Result<std::unique_ptr<FileServer>> FileServer::Start(const std::string& file,
                                                      const std::string& url_path) {
  std::unique_ptr<FileServer> s(new FileServer());
  s->file_ = Fd(open(file.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st;
  if (s->file_.get() < 0 || fstat(s->file_.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Errorf(ErrorCode::kNotFound, "serve '{}': {}", file,
                  s->file_.get() < 0 ? std::strerror(errno) : "not a regular file");
  }
  s->size_ = uint64_t(st.st_size);
  s->url_path_ = url_path;
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0)
    return Errorf(ErrorCode::kIo, "pipe: {}", std::strerror(errno));
  s->stop_read_ = Fd(pipe_fds[0]);
  s->stop_write_ = Fd(pipe_fds[1]);
  s->listen_ = Fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s->listen_.get() < 0) return Errorf(ErrorCode::kIo, "socket: {}", std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(s->listen_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      listen(s->listen_.get(), 8) != 0 ||
      getsockname(s->listen_.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    return Errorf(ErrorCode::kIo, "listen on 127.0.0.1: {}", std::strerror(errno));
  }
  s->port_ = ntohs(a.sin_port);
  s->started_ = std::chrono::steady_clock::now();
  s->acceptor_ = std::thread([p = s.get()] { p->AcceptLoop(); });
  return s;
}

FileServer::~FileServer() {
  if (stop_write_.get() >= 0) {
    char c = 1;
    (void)!write(stop_write_.get(), &c, 1);  // every poll sees it: nobody reads it
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::lock_guard lock(mu_);
  for (auto& t : workers_) t.join();
}

double FileServer::Since() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

FileServerStats FileServer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void FileServer::AcceptLoop() {
  for (;;) {
    pollfd p[2] = {{listen_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
    if (poll(p, 2, -1) < 0 && errno != EINTR) return;
    if (p[1].revents & POLLIN) return;
    if (!(p[0].revents & POLLIN)) continue;
    // Non-blocking: every wait is a poll that also sees the stop pipe, so a
    // client that stops reading cannot hold the destructor.
    int c = accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c < 0) continue;
    std::lock_guard lock(mu_);
    workers_.emplace_back([this, c] {
      SigpipeGuard no_sigpipe;  // sendfile to a client gone: EPIPE, not the signal
      Fd conn(c);
      Serve(conn.get());
    });
  }
}

// One connection: request heads read up to the blank line (capped), each
// answered in turn while the client keeps the connection alive.
void FileServer::Serve(int conn) {
  std::string buf;
  for (;;) {
    size_t end;
    for (;;) {
      end = buf.find("\r\n\r\n");
      if (end != std::string::npos && end <= kMaxRequestHead) break;
      if (buf.size() > kMaxRequestHead + 3) {
        SendAll(conn,
                "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n"
                "Connection: close\r\n\r\n",
                stop_read_.get());
        return;
      }
      if (!WaitFor(conn, POLLIN, stop_read_.get())) return;
      char tmp[4096];
      ssize_t n = recv(conn, tmp, sizeof tmp, MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) return;
      buf.append(tmp, size_t(n));
    }
    auto req = ParseRequestHead(std::string_view(buf).substr(0, end));
    buf.erase(0, end + 4);  // a request without a body: what follows is the next one
    if (!req.ok()) {
      SendAll(conn, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
              stop_read_.get());
      return;
    }
    if (!Answer(conn, *req) || !req->keep_alive) return;
  }
}

bool FileServer::Answer(int conn, const RequestHead& req) {
  const bool head = req.method == "HEAD", get = req.method == "GET";
  const char* conn_hdr = req.keep_alive ? "" : "Connection: close\r\n";
  {
    std::lock_guard lock(mu_);
    ++stats_.requests;
    if (get && req.target == url_path_ && stats_.first_get_s < 0) stats_.first_get_s = Since();
  }
  if (!head && !get) {
    return SendAll(conn,
                   fmt::format("HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\n"
                               "Content-Length: 0\r\n{}\r\n",
                               conn_hdr),
                   stop_read_.get());
  }
  if (req.target != url_path_) {
    return SendAll(conn,
                   fmt::format("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n{}\r\n", conn_hdr),
                   stop_read_.get());
  }
  if (!SendAll(conn,
               fmt::format("HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}\r\n",
                           kEfiIsoMediaType, size_, conn_hdr),
               stop_read_.get()))
    return false;
  if (head) return true;
  off_t off = 0;
  while (uint64_t(off) < size_) {
    ssize_t n = sendfile(conn, file_.get(), &off, size_t(std::min<uint64_t>(size_ - off, 1 << 20)));
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!WaitFor(conn, POLLOUT, stop_read_.get())) return false;
      continue;
    }
    if (n <= 0) return false;
    std::lock_guard lock(mu_);
    stats_.body_bytes += uint64_t(n);
  }
  std::lock_guard lock(mu_);
  stats_.last_byte_s = Since();
  return true;
}

}  // namespace hull::vm
