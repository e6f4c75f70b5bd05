#include "nginx_fixture.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include <filesystem>
#include <random>

#include "base/subprocess.h"

namespace hull::http::test {
namespace {

constexpr size_t kBigBytes = 5 * 1024 * 1024 + 12345;  // several MiB, not a round size

// A CA (name.key, name.pem) and, when `san` is set, a leaf for it signed by ca.
Status MakeCa(const std::string& dir, const std::string& name) {
  auto r = hull::Run(Command{.argv = {"openssl",
                                      "req",
                                      "-x509",
                                      "-newkey",
                                      "ec",
                                      "-pkeyopt",
                                      "ec_paramgen_curve:P-256",
                                      "-nodes",
                                      "-keyout",
                                      name + ".key",
                                      "-out",
                                      name + ".pem",
                                      "-days",
                                      "2",
                                      "-subj",
                                      "/CN=Hull test " + name,
                                      "-addext",
                                      "basicConstraints=critical,CA:TRUE",
                                      "-addext",
                                      "keyUsage=critical,keyCertSign,cRLSign"},
                             .cwd = dir});
  if (!r.ok()) return std::move(r).error();
  return {};
}

Status MakeLeaf(const std::string& dir, const std::string& name, const std::string& dns) {
  auto req = hull::Run(Command{
      .argv = {"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
               "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + dns},
      .cwd = dir});
  if (!req.ok()) return std::move(req).error();
  HULL_TRY(WriteFileAtomic(dir + "/" + name + ".ext", AsBytes("subjectAltName=DNS:" + dns +
                                                              "\nextendedKeyUsage=serverAuth\n")));
  auto sign = hull::Run(Command{
      .argv = {"openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
               "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext"},
      .cwd = dir});
  if (!sign.ok()) return std::move(sign).error();
  return {};
}

Status WriteWww(Nginx& n) {
  std::string www = n.dir + "/www";
  Bytes big(kBigBytes);
  std::mt19937_64 rng(20261125);
  for (auto& b : big) b = static_cast<uint8_t>(rng());
  n.big_path = www + "/big.bin";
  HULL_TRY(WriteFileAtomic(n.big_path, big));
  HULL_TRY(WriteFileAtomic(www + "/small.txt", AsBytes("hello over http\n")));
  // SSI output has no length, so nginx frames it with chunked encoding.
  HULL_TRY(WriteFileAtomic(www + "/ssi/chunked.shtml",
                           AsBytes("before\n<!--# include virtual=\"/big.bin\" -->\nafter\n")));
  std::string expected = "before\n" + std::string(AsChars(big)) + "\nafter\n";
  n.chunked_expected_path = n.dir + "/chunked.expected";
  return WriteFileAtomic(n.chunked_expected_path, AsBytes(expected));
}

std::string Config(const Nginx& n) {
  std::string d = n.dir;
  std::string common = fmt::format(
      "    root {0}/www;\n"
      "    location /ssi/ {{ ssi on; ssi_types *; }}\n"
      "    location = /moved {{ return 301 /big.bin; }}\n"
      "    location = /moved-rel {{ return 302 small.txt; }}\n"
      "    location = /loop {{ return 302 /loop; }}\n"
      "    location = /forbidden {{ return 403; }}\n"
      "    location /slow/ {{ alias {0}/www/; limit_rate 4k; }}\n"
      "    location = /echo {{ default_type text/plain; return 200 \"$request|$http_host|"
      "$http_user_agent|$http_accept_encoding|$http_connection\\n\"; }}\n"
      "    location = /to-tls {{ return 302 https://localhost:{1}/small.txt; }}\n"
      "    location = /to-plain {{ return 302 http://127.0.0.1:{2}/small.txt; }}\n",
      d, n.tls_port, n.plain_port);
  return fmt::format(
      "daemon on;\nworker_processes 1;\npid {0}/nginx.pid;\nerror_log {0}/error.log;\n"
      "events {{ worker_connections 64; }}\n"
      "http {{\n  access_log off;\n  gzip off;\n  chunked_transfer_encoding on;\n"
      "  client_body_temp_path {0}/tmp;\n  proxy_temp_path {0}/tmp;\n"
      "  fastcgi_temp_path {0}/tmp;\n  uwsgi_temp_path {0}/tmp;\n  scgi_temp_path {0}/tmp;\n"
      "  default_type application/octet-stream;\n"
      "  server {{\n    listen 127.0.0.1:{1};\n{4}  }}\n"
      "  server {{\n    listen 127.0.0.1:{2} ssl;\n    ssl_certificate {0}/pki/localhost.pem;\n"
      "    ssl_certificate_key {0}/pki/localhost.key;\n{4}  }}\n"
      "  server {{\n    listen 127.0.0.1:{3} ssl;\n    ssl_certificate {0}/pki/other.pem;\n"
      "    ssl_certificate_key {0}/pki/other.key;\n{4}  }}\n"
      "}}\n",
      d, n.plain_port, n.tls_port, n.tls_other_port, common);
}

}  // namespace

std::string Nginx::Plain(std::string_view path) const {
  return fmt::format("http://127.0.0.1:{}/{}", plain_port, path);
}

std::string Nginx::Tls(std::string_view path) const {
  return fmt::format("https://localhost:{}/{}", tls_port, path);
}

Nginx::~Nginx() {
  auto pid_text = ReadFileText(dir + "/nginx.pid", 64);
  (void)hull::Run(Command{.argv = {"nginx", "-p", dir, "-c", dir + "/nginx.conf", "-s", "stop"},
                          .timeout = std::chrono::seconds(10)});
  // "-s stop" only signals; wait (bounded) for the master to exit so the
  // scratch directory is not removed under it.
  pid_t pid = pid_text.ok() ? static_cast<pid_t>(std::atoi(pid_text->c_str())) : 0;
  for (int i = 0; pid > 0 && i < 100 && ::kill(pid, 0) == 0; ++i) ::usleep(50 * 1000);
}

Result<std::unique_ptr<Nginx>> StartNginx(TempDir& scratch) {
  auto n = std::make_unique<Nginx>();
  n->dir = scratch.path();
  ::chmod(n->dir.c_str(), 0755);  // nginx workers run unprivileged
  n->plain_port = FreePort();
  n->tls_port = FreePort();
  n->tls_other_port = FreePort();
  std::string pki = n->dir + "/pki";
  for (const char* sub : {"/pki", "/tmp", "/www/ssi"}) {
    std::error_code ec;
    std::filesystem::create_directories(n->dir + sub, ec);
    if (ec) return Errorf(ErrorCode::kIo, "mkdir {}{}: {}", n->dir, sub, ec.message());
    ::chmod((n->dir + sub).c_str(), 0755);
  }
  ::chmod((n->dir + "/www").c_str(), 0755);
  HULL_TRY(MakeCa(pki, "ca").Context("making the test CA"));
  HULL_TRY(MakeCa(pki, "foreign").Context("making the foreign CA"));
  HULL_TRY(MakeLeaf(pki, "localhost", "localhost").Context("making the localhost cert"));
  HULL_TRY(MakeLeaf(pki, "other", "other.test").Context("making the other.test cert"));
  n->ca_file = pki + "/ca.pem";
  n->foreign_ca_file = pki + "/foreign.pem";
  HULL_TRY(WriteWww(*n));
  HULL_TRY(WriteFileAtomic(n->dir + "/nginx.conf", AsBytes(Config(*n))));
  auto r = hull::Run(Command{.argv = {"nginx", "-p", n->dir, "-c", n->dir + "/nginx.conf"},
                             .timeout = std::chrono::seconds(20),
                             .install_hint = "apt-get install nginx"});
  if (!r.ok()) return std::move(r).error();
  return n;
}

Result<std::string> Sha256Sum(const std::string& path) {
  HULL_ASSIGN_OR_RETURN(ProcessOutput out, hull::Run(Command{.argv = {"sha256sum", path}}));
  return out.out.substr(0, 64);
}

}  // namespace hull::http::test
