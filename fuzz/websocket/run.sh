#!/usr/bin/env bash
# Fuzzes the WebSocket protocol core (decoder, UTF-8 validator, state machine + deflate)
# with libFuzzer and AddressSanitizer for SECONDS (default 60). Exit status is non-zero
# when the fuzzer finds a crash, leak or failed check (the reproducer is left in $OUT).
# Usage: fuzz/websocket/run.sh [SECONDS]
set -euo pipefail
SECONDS_TO_RUN="${1:-60}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SRC="$ROOT/Sources/PulseWebSocket"
OUT="${FUZZ_OUT:-${TMPDIR:-/tmp}/pulse-fuzz-websocket}"
mkdir -p "$OUT/corpus"
# Seed corpus: a masked text frame, a fragmented message with a ping, a compressed frame.
printf '\x00\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58' > "$OUT/corpus/seed-text"
printf '\x01\x01\x03\x48\x65\x6c\x89\x00\x80\x02\x6c\x6f' > "$OUT/corpus/seed-fragmented"
printf '\x03\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00' > "$OUT/corpus/seed-deflate"

# Pure protocol sources only: no sockets, no OpenSSL (the handshake file is left out).
SOURCES=$(ls "$SRC"/Protocol/*.swift "$SRC"/Compression/*.swift | grep -v '/Handshake.swift$')
echo "building fuzzer into $OUT/fuzz-websocket"
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name PulseWebSocketFuzz -package-name Pulse \
    -I "$ROOT/Sources/CZlib" $SOURCES "$ROOT/fuzz/websocket/FuzzEntry.swift" -o "$OUT/fuzz-websocket"

echo "fuzzing for ${SECONDS_TO_RUN}s (corpus $OUT/corpus)"
cd "$OUT"
"$OUT/fuzz-websocket" -max_total_time="$SECONDS_TO_RUN" -rss_limit_mb=2048 -max_len=4096 \
    -print_final_stats=1 "$OUT/corpus"
