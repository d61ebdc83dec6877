#!/bin/sh
# PostgreSQL data-layer benchmark: PulsePostgres vs pgbench / psql \copy on the same throwaway
# cluster in the same run. Usage: bench/postgres/run.sh [seconds=10] [rows=1000000] [pgbench scale=10]
# PULSE_BENCH_SELECT_ONLY=1 runs only the indexed-SELECT phase.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/.deps" && ln -sfn "$(cd "$here/../.." && pwd)" "$here/.deps/pulse"
swift build -c release --package-path "$here" >&2
exec "$here/.build/release/PostgresBench" "$@"
