#!/bin/sh
# Quality evaluation of the AI service (docs/ai.md): builds pulse-ai, then runs
# `pulse-ai eval` on a generated corpus in a throwaway PostgreSQL cluster.
#   ITEMS=5000 SEED=777001 QUERIES=300 bench/ai/eval.sh
# Needs the local model (scripts/install-model.sh) and PostgreSQL 15 binaries (scripts/install-deps.sh).
set -eu
cd "$(dirname "$0")/../.."
ITEMS=${ITEMS:-5000}
SEED=${SEED:-777001}
QUERIES=${QUERIES:-300}
CONFIG=${CONFIG:-debug}   # the model kernels and the vector engine are optimised in debug builds too
swift build -c "$CONFIG" --product pulse-ai >&2
mkdir -p bench/ai/results
".build/$CONFIG/pulse-ai" eval --items "$ITEMS" --seed "$SEED" --queries "$QUERIES" \
    --json "bench/ai/results/eval-$SEED-$ITEMS.json" | tee "bench/ai/results/eval-$SEED-$ITEMS.md"
