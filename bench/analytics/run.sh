#!/usr/bin/env bash
# Analytics benchmark (issue 14): a generated client (100 repositories, 200,000 commits, 50,000
# PRs, 20,000 deployments, 1,000,000 changelog rows at scale 1), full and incremental DORA
# recomputation, GET /api/v1/dora (90 days) and /api/v1/dora/repositories at 8 concurrent
# requests (p50/p99), and the same figures by one SQL query over the raw tables.
# Usage: bench/analytics/run.sh [scale] [requests]   (scale 0.1 = a tenth of every table but repositories)
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build --build-tests
PULSE_ANALYTICS_BENCH=1 PULSE_ANALYTICS_BENCH_SCALE="${1:-1}" PULSE_ANALYTICS_BENCH_REQUESTS="${2:-200}" \
    swift test --skip-build --filter AnalyticsBenchmark 2>&1 | grep -E "^BENCH|✘|error" || true
