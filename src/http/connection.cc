#include "http/connection.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/sigpipe.h"

namespace hull::http {
namespace {

using Clock = std::chrono::steady_clock;

std::string SslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

// Rounded up, so that a poll that times out has reached `deadline`.
int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Waits for a non-blocking connect on `fd` to finish; 0 or the errno.
int FinishConnect(int fd, Clock::time_point deadline) {
  pollfd p{fd, POLLOUT, 0};
  int r;
  do {
    r = ::poll(&p, 1, RemainingMs(deadline));
  } while (r < 0 && errno == EINTR);
  if (r == 0) return ETIMEDOUT;
  if (r < 0) return errno;
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

// Tries each resolved address until one connects, within `timeout` and
// before `until`; returns the socket.
Result<int> ConnectAny(const Url& url, std::chrono::milliseconds timeout, Clock::time_point until) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;  // no AI_ADDRCONFIG: it hides 127.0.0.1 when only lo is up
  addrinfo* list = nullptr;
  std::string port = std::to_string(url.port);
  int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &list);
  if (rc != 0) {
    return Errorf(ErrorCode::kUnavailable, "cannot resolve {}: {}", url.HostPort(),
                  rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> hold(list, ::freeaddrinfo);
  Clock::time_point now = Clock::now();
  const bool cut = until - now < timeout;  // the deadline comes first
  Clock::time_point deadline = cut ? until : now + timeout;
  int last = ECONNREFUSED;
  for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last = errno;
      continue;
    }
    int err = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
    if (err == EINPROGRESS) err = FinishConnect(fd, deadline);
    if (err == 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      return fd;
    }
    ::close(fd);
    last = err;
    if (err == ETIMEDOUT && RemainingMs(deadline) == 0) {
      if (cut)
        return Errorf(ErrorCode::kTimeout, "cannot connect to {}: deadline passed", url.HostPort());
      return Errorf(ErrorCode::kTimeout, "cannot connect to {}: no answer within {} ms",
                    url.HostPort(), timeout.count());
    }
  }
  return Errorf(ErrorCode::kUnavailable, "cannot connect to {}: {}", url.HostPort(),
                std::strerror(last));
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::Open(const Url& url,
                                                     const ConnectOptions& options) {
  HULL_ASSIGN_OR_RETURN(int fd, ConnectAny(url, options.connect_timeout, options.deadline));
  std::unique_ptr<Connection> c(
      new Connection(fd, url.HostPort(), options.io_timeout, options.deadline));
  if (url.tls) HULL_TRY(c->StartTls(url, options));
  return c;
}

Connection::~Connection() {
  if (ssl_ != nullptr) SSL_free(static_cast<SSL*>(ssl_));
  if (ctx_ != nullptr) SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
  if (fd_ >= 0) ::close(fd_);
}

Status Connection::Wait(short events, std::string_view doing) {
  pollfd p{fd_, events, 0};
  Clock::time_point now = Clock::now();
  const bool cut = deadline_ - now < io_timeout_;  // the deadline comes first
  Clock::time_point deadline = cut ? deadline_ : now + io_timeout_;
  while (true) {
    int r = ::poll(&p, 1, RemainingMs(deadline));
    if (r > 0) return {};
    if (r == 0) {
      if (cut) return Errorf(ErrorCode::kTimeout, "{}: deadline passed {}", peer_, doing);
      return Errorf(ErrorCode::kTimeout, "{}: no progress {} for {} ms", peer_, doing,
                    io_timeout_.count());
    }
    if (errno != EINTR) return Errorf(ErrorCode::kIo, "{}: poll: {}", peer_, std::strerror(errno));
  }
}

Status Connection::TlsError(int ret, std::string_view doing, bool* retry, short* events) {
  SSL* ssl = static_cast<SSL*>(ssl_);
  int err = SSL_get_error(ssl, ret);
  *retry = err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE;
  *events = err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
  if (*retry) return {};
  if (err == SSL_ERROR_SSL && SSL_get_verify_result(ssl) != X509_V_OK) {
    ERR_clear_error();
    return Errorf(ErrorCode::kUnavailable, "TLS {} with {}: certificate refused: {}", doing, peer_,
                  X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
  }
  std::string why = SslErrors();
  if (why.empty())
    why =
        err == SSL_ERROR_SYSCALL && errno != 0 ? std::strerror(errno) : "connection closed by peer";
  return Errorf(ErrorCode::kUnavailable, "TLS {} with {}: {}", doing, peer_, why);
}

Status Connection::StartTls(const Url& url, const ConnectOptions& options) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return Errorf(ErrorCode::kInternal, "SSL_CTX_new: {}", SslErrors());
  ctx_ = ctx;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  std::string ca = options.ca_file;
  if (const char* env = std::getenv("HULL_CA_FILE"); ca.empty() && env != nullptr) ca = env;
  int ok = ca.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                      : SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr);
  if (ok != 1) {
    return Errorf(ErrorCode::kInvalidArgument, "cannot load CA certificates{}: {}",
                  ca.empty() ? "" : " from '" + ca + "'", SslErrors());
  }
  if (!options.cert_file.empty() || !options.key_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
      return Errorf(ErrorCode::kInvalidArgument,
                    "cannot load the client certificate '{}' with its key '{}' (PEM, a matching "
                    "pair): {}",
                    options.cert_file, options.key_file, SslErrors());
    }
  }
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return Errorf(ErrorCode::kInternal, "SSL_new: {}", SslErrors());
  ssl_ = ssl;
  bool ip_literal = url.host.find(':') != std::string::npos ||
                    url.host.find_first_not_of("0123456789.") == std::string::npos;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (ip_literal) {
    ok = X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
  } else {
    ok = X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), url.host.size()) &&
         SSL_set_tlsext_host_name(ssl, url.host.c_str());  // SNI: names only (RFC 6066 §3)
  }
  if (ok != 1 || SSL_set_fd(ssl, fd_) != 1) {
    return Errorf(ErrorCode::kInternal, "TLS setup for {}: {}", peer_, SslErrors());
  }
  while (true) {
    int r = SSL_connect(ssl);
    if (r == 1) return {};
    bool retry = false;
    short events = 0;
    HULL_TRY(TlsError(r, "handshake", &retry, &events));
    HULL_TRY(Wait(events, "in the TLS handshake"));
  }
}

Status Connection::WriteAll(ByteSpan data) {
  while (!data.empty()) {
    size_t n = 0;
    if (ssl_ != nullptr) {
      SigpipeGuard guard;
      ERR_clear_error();
      int r = SSL_write(static_cast<SSL*>(ssl_), data.data(), static_cast<int>(data.size()));
      if (r <= 0) {
        bool retry = false;
        short events = 0;
        HULL_TRY(TlsError(r, "write", &retry, &events));
        HULL_TRY(Wait(events, "sending"));
        continue;
      }
      n = static_cast<size_t>(r);
    } else {
      ssize_t r = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) {
          return Errorf(ErrorCode::kUnavailable, "sending to {}: {}", peer_, std::strerror(errno));
        }
        HULL_TRY(Wait(POLLOUT, "sending"));
        continue;
      }
      n = static_cast<size_t>(r);
    }
    data = data.subspan(n);
  }
  return {};
}

Result<size_t> Connection::Read(MutableByteSpan buf) {
  while (true) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      size_t got = 0;
      int r = SSL_read_ex(static_cast<SSL*>(ssl_), buf.data(), buf.size(), &got);
      if (r == 1) return got;
      int err = SSL_get_error(static_cast<SSL*>(ssl_), r);
      if (err == SSL_ERROR_ZERO_RETURN) return size_t{0};
      // A TCP close without close_notify: HTTP framing decides whether the
      // body is complete (a truncated length or chunked body is an error).
      if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) return size_t{0};
      if (err == SSL_ERROR_SSL &&
          ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        return size_t{0};
      }
      bool retry = false;
      short events = 0;
      HULL_TRY(TlsError(r, "read", &retry, &events));
      HULL_TRY(Wait(events, "receiving"));
      continue;
    }
    ssize_t r = ::recv(fd_, buf.data(), buf.size(), 0);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      return Errorf(ErrorCode::kUnavailable, "receiving from {}: {}", peer_, std::strerror(errno));
    }
    HULL_TRY(Wait(POLLIN, "receiving"));
  }
}

}  // namespace hull::http
