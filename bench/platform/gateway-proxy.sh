#!/usr/bin/env bash
# Gateway proxy overhead: wrk against the backend directly, through pulse-frontend-gateway
# (PulseHTTPClient keep-alive pool), and through nginx (proxy_pass with an upstream keepalive
# pool) in front of the same backend. The request is GET /api/v1/session without credentials:
# the backend answers 401 problem+json at once (no database, no auth round trip), so the
# figures are the proxies' own cost.
#
#   bench/platform/gateway-proxy.sh            # builds release binaries first
#   DURATION=8s CONNECTIONS=32 bench/platform/gateway-proxy.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-8s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
swift build -c release --product pulse-backend >/dev/null
swift build -c release --product pulse-frontend-gateway >/dev/null
BIN=$(swift build -c release --show-bin-path)
WORK=$(mktemp -d /tmp/pulse-bench-gateway.XXXXXX)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
BACKEND=$(free_port); GATEWAY=$(free_port); NGINX=$(free_port); CLOSED=$(free_port)
: > "$WORK/empty.toml"
export PULSE_LOG_ACCESS=false PULSE_LOG_LEVEL=warning AUTH_URL="http://127.0.0.1:$CLOSED"
"$BIN/pulse-backend" --port "$BACKEND" --config "$WORK/empty.toml" >"$WORK/backend.log" 2>&1 & PIDS+=($!)
BACKEND_URL="http://127.0.0.1:$BACKEND" "$BIN/pulse-frontend-gateway" --port "$GATEWAY" --config "$WORK/empty.toml" \
    >"$WORK/gateway.log" 2>&1 & PIDS+=($!)
cat >"$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK; proxy_temp_path $WORK; fastcgi_temp_path $WORK; uwsgi_temp_path $WORK; scgi_temp_path $WORK;
    upstream backend { server 127.0.0.1:$BACKEND; keepalive 64; }
    server {
        listen 127.0.0.1:$NGINX;
        location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
}
CONF
nginx -c "$WORK/nginx.conf" -g 'daemon off;' & PIDS+=($!)
for port in "$BACKEND" "$GATEWAY" "$NGINX"; do
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/session" && break; sleep 0.1; done
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GATEWAY/api/v1/session")" = 401 ] || { echo "gateway does not proxy"; exit 1; }

echo "uptime before: $(uptime)"
printf '%-28s %12s %12s %12s\n' "path ($CONNECTIONS conns, $DURATION)" "req/s" "p50" "p99"
for target in "backend direct:$BACKEND" "pulse gateway:$GATEWAY" "nginx 1.22 proxy:$NGINX"; do
    name=${target%%:*}; port=${target##*:}
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$port/api/v1/session")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out"); p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    printf '%-28s %12s %12s %12s\n' "$name" "$rps" "$p50" "$p99"
done
echo "uptime after: $(uptime)"
