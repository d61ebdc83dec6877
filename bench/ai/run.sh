#!/bin/sh
# AI service benchmark (docs/benchmarks.md): a 100,000-item client in a throwaway PostgreSQL
# cluster (vectors generated, text from the evaluation corpus), /ai/search at 8 concurrent
# callers over HTTP with real authentication, forecast latency, RSS with the index loaded.
#   ITEMS=100000 CONCURRENCY=8 SECONDS=15 bench/ai/run.sh
# Embedding throughput is measured by bench/ai/eval.sh (the backlog of its corpus).
set -eu
cd "$(dirname "$0")/../.."
ITEMS=${ITEMS:-100000}
CONCURRENCY=${CONCURRENCY:-8}
SECONDS_=${SECONDS:-15}
CONFIG=${CONFIG:-debug}
swift build -c "$CONFIG" --product pulse-ai >&2
mkdir -p bench/ai/results
".build/$CONFIG/pulse-ai" bench --items "$ITEMS" --concurrency "$CONCURRENCY" --seconds "$SECONDS_" \
    | tee "bench/ai/results/bench-$ITEMS-$CONCURRENCY.md"
