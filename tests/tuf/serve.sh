# Sourced by the TUF oracle tests.
#   oracle_setup NAME: a scratch directory $work (/tmp/hull-tuf-NAME.XXXXXX),
#     removed on exit with the nginx serve_dir started; fail MESSAGE; tuf-js
#     installed under $js (tests/tuf/js) when missing.
#   serve_dir DIR: nginx on a free loopback port serving DIR; sets $base
#     (http://127.0.0.1:PORT) and $nginx_pid.
js="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/js"
nginx_pid=""

oracle_setup() {
  work=$(mktemp -d "/tmp/hull-tuf-$1.XXXXXX")
  trap oracle_cleanup EXIT
  [ -d "$js/node_modules/tuf-js" ] || (cd "$js" && npm ci --no-audit --no-fund >/dev/null)
}

oracle_cleanup() {
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  rm -rf "$work"
}

fail() { echo "FAIL: $*" >&2; exit 1; }

serve_dir() {
  local root=$1
  mkdir -p "$work/nginx"
  chmod 755 "$work"  # nginx workers run unprivileged
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat > "$work/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx;
  scgi_temp_path $work/nginx;
  types { application/json json; }
  default_type application/octet-stream;
  server { listen 127.0.0.1:$port; root $root; }
}
CONF
  nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
  nginx_pid=$!
  for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
  done
  base="http://127.0.0.1:$port"
}
