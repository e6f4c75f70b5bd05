# Sourced by the TUF oracle tests: serve_dir DIR starts nginx on a free
# loopback port serving DIR, sets $base (http://127.0.0.1:PORT) and
# $nginx_pid (the caller's trap stops it). $work must be a scratch directory.
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
