#!/usr/bin/env bash
# HTTP server benchmark: Pulse vs SwiftNIO (NIOHTTP1) vs Hummingbird 2 vs nginx, release builds,
# wrk with 64 keep-alive connections on loopback, servers run one at a time and interleaved
# (A B C D D C B A) per endpoint because the machine is shared. Reports req/s, server CPU per
# request (from /proc/PID/stat) and p99 latency, then the idle keep-alive memory figure.
# Usage: bench/http/run.sh [SECONDS_PER_RUN (default 5)] [IDLE_CONNECTIONS (default 10000, 0 = skip)]
# Needs: apt-get install -y wrk nginx-light python3
set -euo pipefail
dur="${1:-5}"
idle_n="${2:-10000}"
here="$(cd "$(dirname "$0")" && pwd)"
ulimit -n "$(ulimit -Hn)"   # every server may hold 10,000 idle connections below
out="$here/results"
mkdir -p "$out"
log="$out/run-$(date -u +%Y%m%dT%H%M%SZ).txt"

echo "building (release)..." >&2
(cd "$here/pulse-server" && swift build -c release --product PulseBenchServer >/dev/null)
(cd "$here/peers" && swift build -c release >/dev/null)
pulse_bin="$here/pulse-server/.build/release/PulseBenchServer"
nio_bin="$here/peers/.build/release/NIOBenchServer"
hb_bin="$here/peers/.build/release/HummingbirdBenchServer"

port_base=18080
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_port() { for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }

start_server() { # name -> sets PID, PORT
    case "$1" in
        pulse) PORT=$((port_base)); "$pulse_bin" "$PORT" >/dev/null 2>&1 & PID=$! ;;
        nio) PORT=$((port_base + 1)); "$nio_bin" "$PORT" >/dev/null 2>&1 & PID=$! ;;
        hummingbird) PORT=$((port_base + 2)); "$hb_bin" "$PORT" >/dev/null 2>&1 & PID=$! ;;
        nginx)
            PORT=$((port_base + 3))
            ngx="$out/nginx"; mkdir -p "$ngx"
            curl -s "http://127.0.0.1:$port_base/json" > "$ngx/json" 2>/dev/null || python3 -c "print('[]')" > "$ngx/json"
            cat > "$ngx/nginx.conf" <<NGX
worker_processes 2; daemon off; pid $ngx/nginx.pid; error_log $ngx/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 10000000; keepalive_timeout 600;
  server { listen 127.0.0.1:$PORT;
    location = /health { default_type application/json; return 200 '{"status":"ok"}'; }
    location = /json { default_type application/json; alias $ngx/json; }
  } }
NGX
            nginx -c "$ngx/nginx.conf" >/dev/null 2>&1 & PID=$! ;;
    esac
    pids+=("$PID")
    wait_port "$PORT"
}

# CPU ticks (user+system) of a process and all its children/threads (nginx workers are children).
cpu_ticks() {
    local total=0
    for p in "$1" $(pgrep -P "$1" || true); do
        read -r -a f < "/proc/$p/stat" || continue
        total=$((total + f[13] + f[14]))
    done
    echo "$total"
}

run_wrk() { # server endpoint -> prints "reqs_per_s cpu_us_per_req p99_ms"
    local server="$1" endpoint="$2" url script=()
    url="http://127.0.0.1:$PORT${endpoint#POST }"
    [[ "$endpoint" == POST* ]] && script=(-s "$here/post.lua")
    local t0 t1 res
    t0=$(cpu_ticks "$PID")
    res=$(wrk -t2 -c64 -d"${dur}s" --latency "${script[@]}" "$url")
    t1=$(cpu_ticks "$PID")
    echo "$res" >> "$log"
    local reqs rps p99 non2xx
    reqs=$(echo "$res" | awk '/requests in/ {print $1}')
    rps=$(echo "$res" | awk '/Requests\/sec/ {print $2}')
    p99=$(echo "$res" | awk '$1=="99%" {print $2}')
    non2xx=$(echo "$res" | awk '/Non-2xx/ {print $5}')
    [[ -n "$non2xx" ]] && echo "WARNING: $server $endpoint non-2xx responses: $non2xx" >&2
    local tck; tck=$(getconf CLK_TCK)
    python3 - "$rps" "$reqs" "$t0" "$t1" "$tck" "$p99" <<'PY'
import sys
rps, reqs, t0, t1, tck, p99 = sys.argv[1:]
def ms(v):
    for unit, f in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if v.endswith(unit): return float(v[:-len(unit)]) * f
    return float(v)
cpu_us = (int(t1) - int(t0)) * 1e6 / int(tck) / max(int(reqs), 1)
print(f"{float(rps):.0f} {cpu_us:.1f} {ms(p99):.2f}")
PY
}

servers=(pulse nio hummingbird nginx)
endpoints=("/health" "/json" "POST /echo")
declare -A rps cpu p99 n
order=("${servers[@]}")
for ((i=${#servers[@]}-1; i>=0; i--)); do order+=("${servers[$i]}"); done   # A B C D D C B A

for endpoint in "${endpoints[@]}"; do
    for server in "${order[@]}"; do
        [[ "$server" == nginx && "$endpoint" == POST* ]] && continue   # stock nginx cannot echo a body
        start_server "$server"
        wrk -t2 -c64 -d1s "http://127.0.0.1:$PORT/health" >/dev/null   # warm-up
        read -r r c p < <(run_wrk "$server" "$endpoint")
        echo "$endpoint $server: $r req/s, $c us CPU/req, p99 $p ms" >&2
        key="$server|$endpoint"
        rps[$key]=$(( ${rps[$key]:-0} + r ))
        cpu[$key]=$(python3 -c "print(${cpu[$key]:-0} + $c)")
        p99[$key]=$(python3 -c "print(${p99[$key]:-0} + $p)")
        n[$key]=$(( ${n[$key]:-0} + 1 ))
        kill "$PID"; wait "$PID" 2>/dev/null || true
    done
done

{
echo "## HTTP server benchmark $(date -u +%F) — wrk -t2 -c64 -d${dur}s, A B C D D C B A, averages of 2 runs"
echo
printf "| endpoint | server | req/s | server CPU µs/req | p99 ms | req/s vs NIO | CPU vs NIO |\n|---|---|---|---|---|---|---|\n"
for endpoint in "${endpoints[@]}"; do
    nkey="nio|$endpoint"
    for server in "${servers[@]}"; do
        key="$server|$endpoint"
        [[ -z "${n[$key]:-}" ]] && continue
        python3 - "$endpoint" "$server" "${rps[$key]}" "${cpu[$key]}" "${p99[$key]}" "${n[$key]}" "${rps[$nkey]}" "${cpu[$nkey]}" "${n[$nkey]}" <<'PY'
import sys
e, s, r, c, p, k, nr, nc, nk = sys.argv[1:]
r, c, p, k, nr, nc, nk = float(r), float(c), float(p), int(k), float(nr), float(nc), int(nk)
print(f"| {e} | {s} | {r/k:.0f} | {c/k:.1f} | {p/k:.2f} | {(r/k)/(nr/nk):.2f}x | {(c/k)/(nc/nk):.2f}x |")
PY
    done
done
} | tee "$out/latest.md"

if [[ "$idle_n" != 0 ]]; then
    echo >&2; echo "idle keep-alive memory ($idle_n connections)..." >&2
    for server in pulse nio; do
        start_server "$server"
        line=$(python3 "$here/idle.py" "$PORT" "$PID" "$idle_n")
        echo "| idle | $server | $line |" | tee -a "$out/latest.md"
        kill "$PID"; wait "$PID" 2>/dev/null || true
    done
fi
echo "raw wrk output: $log" >&2
