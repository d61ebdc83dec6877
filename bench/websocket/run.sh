#!/usr/bin/env bash
# WebSocket echo benchmark, 64-byte binary messages: pulse-ws-echo vs a SwiftNIO
# (NIOWebSocket) echo server, interleaved A B B A, release builds, loopback.
# The Python `websockets` client saturates near 20-25k round trips/s, so the figure to
# compare is the server's CPU time per round trip (one message in, one out), read from
# /proc/PID/stat around each run.
# Usage: bench/websocket/run.sh [SECONDS=10] [CONNECTIONS=16]
set -euo pipefail
SECS="${1:-10}"
CONNS="${2:-16}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/bench/websocket"
(cd "$ROOT" && swift build -c release --product pulse-ws-echo >/dev/null)
(cd "$HERE/peers" && swift build -c release >/dev/null)
PULSE="$(cd "$ROOT" && swift build -c release --show-bin-path)/pulse-ws-echo"
NIO="$(cd "$HERE/peers" && swift build -c release --show-bin-path)/NIOWebSocketEcho"
TICKS=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run_one() {  # name command...
    local name="$1"; shift
    local log; log=$(mktemp)
    "$@" > "$log" 2>&1 &
    local pid=$!
    local port=""
    for _ in $(seq 100); do
        port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$log" | head -1)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "$name did not start"; cat "$log"; kill $pid; exit 1; }
    python3 "$HERE/client.py" "$port" 2 "$CONNS" > /dev/null   # warm-up
    local before; before=$(cpu_ticks $pid)
    local trips; trips=$(python3 "$HERE/client.py" "$port" "$SECS" "$CONNS")
    local after; after=$(cpu_ticks $pid)
    kill $pid; wait $pid 2>/dev/null || true
    rm -f "$log"
    awk -v n="$name" -v t="$trips" -v c=$((after - before)) -v hz="$TICKS" -v s="$SECS" \
        'BEGIN { printf "%-8s %10.0f rt/s   server CPU %6.2f s   %6.2f us CPU per round trip\n", n, t / s, c / hz, (c / hz) * 1e6 / t }'
}

echo "WebSocket echo, 64-byte binary, $CONNS connections, ${SECS}s per run, order A B B A"
run_one pulse "$PULSE" --port 0
run_one nio "$NIO" 0
run_one nio "$NIO" 0
run_one pulse "$PULSE" --port 0
