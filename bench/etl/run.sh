#!/bin/sh
# GitHub connector benchmark: a full sync of the built-in sandbox (PulseSandbox, in the same
# process, on a loopback port) into a throwaway PostgreSQL cluster, then an incremental sync
# after 1 % of the data changed. Prints wall time, requests/s, rows/s, requests per stored
# item and RSS (sampled every 0.5 s; the sandbox's generated data lives in the same process).
#
#   bench/etl/run.sh                                  # 10 repos x 100 PRs x 400 commits
#   REPOS=20 PRS_PER_REPO=200 COMMITS_PER_REPO=800 CONCURRENCY=4 bench/etl/run.sh
#
# Runs the debug test build (swift build --build-tests), the one the tests use.
set -eu
cd "$(dirname "$0")/../.."
swift build --build-tests >&2
echo "== $(date -u '+%F %T') UTC, $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
PULSE_BENCH_ETL=1 swift test --skip-build --filter GitHubBenchmark 2>&1 | grep -E "github-bench|passed|failed|error"
