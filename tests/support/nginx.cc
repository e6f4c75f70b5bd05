#include "support/nginx.h"

#include <fmt/format.h>

#include <filesystem>

#include "base/file.h"
#include "base/subprocess.h"
#include "support/free_port.h"

namespace hull::test_support {

Status Nginx::Start(const std::string& dir, const std::string& root) {
  port_ = FreePort();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Errorf(ErrorCode::kIo, "creating {}: {}", dir, ec.message());
  conf_ = dir + "/nginx.conf";
  dir_ = dir;
  HULL_TRY(WriteFileAtomic(
      conf_, fmt::format("daemon on; worker_processes 1; pid {0}/nginx.pid;\n"
                         "error_log {0}/error.log;\nevents {{ worker_connections 64; }}\n"
                         "http {{ access_log {0}/access.log; client_body_temp_path {0};\n"
                         "  proxy_temp_path {0}; fastcgi_temp_path {0}; uwsgi_temp_path {0};\n"
                         "  scgi_temp_path {0}; default_type application/octet-stream;\n"
                         "  server {{ listen 127.0.0.1:{1}; root {2}; }} }}\n",
                         dir, port_, root)));
  auto r = Run(
      Command{.argv = {"nginx", "-p", dir, "-c", conf_}, .install_hint = "apt-get install nginx"});
  if (!r.ok()) return r.error();
  started_ = true;
  return Ok();
}

Nginx::~Nginx() {
  if (started_)
    (void)RunAllowFailure(Command{.argv = {"nginx", "-p", dir_, "-c", conf_, "-s", "stop"}});
}

}  // namespace hull::test_support
