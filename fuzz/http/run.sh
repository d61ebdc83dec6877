#!/usr/bin/env bash
# Builds the HTTP request-parser fuzzer (libFuzzer + AddressSanitizer) and runs it for a bounded time.
# Usage: fuzz/http/run.sh [SECONDS]   (default 60). Crashes are written to fuzz/http/artifacts/.
set -euo pipefail
seconds="${1:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${FUZZ_BUILD_DIR:-/tmp/pulse-fuzz-http}"
mkdir -p "$build" "$here/artifacts" "$build/corpus"
cp "$here"/seeds/* "$build/corpus/" 2>/dev/null || true

swiftc -sanitize=fuzzer,address -parse-as-library -O -g -package-name pulse -module-name PulseHTTPFuzz \
    "$root"/Sources/PulseHTTP/Parser/*.swift "$here/FuzzParser.swift" -o "$build/fuzz-http-parser"

# -rss_limit_mb keeps memory bounded: a leak or unbounded buffering fails the run.
"$build/fuzz-http-parser" -max_total_time="$seconds" -max_len=8192 -rss_limit_mb=1024 -timeout=10 \
    -artifact_prefix="$here/artifacts/" -print_final_stats=1 "$build/corpus"
