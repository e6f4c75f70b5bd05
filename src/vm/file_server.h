// One file over HTTP on the host's loopback, for `hull boot --netboot`
// (docs/iso.md "Netboot"): the firmware's HTTP boot client downloads the
// install medium from it through QEMU's user network (the host is 10.0.2.2
// there). GET and HEAD of one path, HTTP/1.1 with keep-alive, the body sent
// with sendfile; anything else is answered 400, 404 or 405. Not a general
// web server: no ranges, no directory, no other file is reachable.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/fd.h"
#include "base/result.h"

namespace hull::vm {

// The media type that makes EDK2's HTTP boot load the download as a virtual
// CD in a RAM disk and boot its El Torito image (UEFI 2.10 §24.7.2.1).
inline constexpr const char* kEfiIsoMediaType = "application/vnd.efi-iso";

// Cap on a request head (request line and headers) before it is refused.
inline constexpr size_t kMaxRequestHead = 8192;

struct RequestHead {
  std::string method;  // as sent, e.g. "GET"
  std::string target;  // the request target, e.g. "/live.iso"
  bool keep_alive = true;
};

// Parses a request head up to and excluding the blank line ending it
// (RFC 9112 §3: method SP request-target SP HTTP-version, then header
// lines). kInvalidArgument for a malformed request line, a version other
// than HTTP/1.0 or HTTP/1.1, or a header line without a colon. keep_alive:
// HTTP/1.1 without "Connection: close", or HTTP/1.0 with "keep-alive".
Result<RequestHead> ParseRequestHead(std::string_view head);

struct FileServerStats {
  int requests = 0;         // request heads answered
  uint64_t body_bytes = 0;  // file bytes sent
  double first_get_s = -1;  // seconds from Start to the first GET (-1: none)
  double last_byte_s = -1;  // seconds from Start to the end of the last body sent
};

class FileServer {
 public:
  // Serves `file` (opened now: kNotFound if it cannot be) at `url_path`
  // (e.g. "/live.iso") on 127.0.0.1, on a port the kernel picks.
  static Result<std::unique_ptr<FileServer>> Start(const std::string& file,
                                                   const std::string& url_path);
  ~FileServer();  // stops accepting, ends open connections, joins the threads
  FileServer(const FileServer&) = delete;
  FileServer& operator=(const FileServer&) = delete;

  int port() const { return port_; }
  uint64_t size() const { return size_; }  // the file's, in bytes
  FileServerStats stats() const;

 private:
  FileServer() = default;
  void AcceptLoop();
  void Serve(int conn);
  bool Answer(int conn, const RequestHead& req);
  double Since() const;

  Fd listen_, file_, stop_read_, stop_write_;
  uint64_t size_ = 0;
  std::string url_path_;
  int port_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::thread acceptor_;
  mutable std::mutex mu_;  // guards workers_ and stats_
  std::vector<std::thread> workers_;
  FileServerStats stats_;
};

}  // namespace hull::vm
