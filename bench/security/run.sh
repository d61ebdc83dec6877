#!/usr/bin/env bash
# Security / tokens benchmark.
#   tokens:  token verifications per second on one core with a warm JWKS (RS256 default and
#            EdDSA, fresh and re-sent tokens), signing cost, raw signature checks, one password
#            hash at the production cost; peer: OpenSSL's own `openssl speed` on the same core.
#   service: a release pulse-auth against a throwaway PostgreSQL, loaded with wrk:
#            /auth/token client_credentials req/s (peer: /health of the same process) and
#            /auth/login latency p50/p99 (peer: Python hashlib PBKDF2 at the same cost).
# Usage: bench/security/run.sh [tokens|service|all] [seconds=10]   (default: all)
set -euo pipefail
MODE="${1:-all}"
SECONDS_PER_RUN="${2:-10}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$HERE/SecurityBench"
swift build -c release >/dev/null 2>&1 || swift build -c release
BIN="$(swift build -c release --show-bin-path)"

if [[ "$MODE" == tokens || "$MODE" == all ]]; then
    # An RS256 JWK and token from an independent implementation (the openssl CLI).
    TMP="$(mktemp -d)"
    trap 'rm -rf "$TMP"' EXIT
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TMP/k.pem" 2>/dev/null
    N_HEX="$(openssl rsa -in "$TMP/k.pem" -noout -modulus | cut -d= -f2)"
    b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
    INPUT="$(printf '{"alg":"RS256","kid":"bench-rsa"}' | b64url).$(printf '{"iss":"bench"}' | b64url)"
    SIG="$(printf '%s' "$INPUT" | openssl dgst -sha256 -sign "$TMP/k.pem" -binary | b64url)"
    export RS256_MODULUS_HEX="$N_HEX"
    export RS256_TOKEN="$INPUT.$SIG"

    CPU="${BENCH_CPU:-0}"
    echo "== Pulse (PulseSecurity, release, pinned to CPU $CPU) =="
    taskset -c "$CPU" "$BIN/SecurityBench"
    echo
    echo "== peer: openssl speed on the same core (raw primitive, no JWT work) =="
    echo "-- per CPU second (openssl speed default: user CPU time)"
    taskset -c "$CPU" openssl speed -seconds 3 ed25519 2>/dev/null | grep -E "Ed25519|sign/s"
    taskset -c "$CPU" openssl speed -seconds 3 rsa2048 2>/dev/null | grep -E "rsa 2048|sign/s"
    echo "-- per wall second (-elapsed)"
    taskset -c "$CPU" openssl speed -elapsed -seconds 3 ed25519 2>/dev/null | grep -E "Ed25519"
    taskset -c "$CPU" openssl speed -elapsed -seconds 3 rsa2048 2>/dev/null | grep -E "rsa 2048"
fi

if [[ "$MODE" == service || "$MODE" == all ]]; then
    (cd "$ROOT" && swift build -c release --product pulse-auth >/dev/null 2>&1 || swift build -c release --product pulse-auth)
    AUTH="$(cd "$ROOT" && swift build -c release --show-bin-path)/pulse-auth"
    echo
    echo "== Pulse auth service end to end (release pulse-auth, embedded PostgreSQL, wrk) =="
    "$BIN/AuthBench" "$AUTH" "$ROOT/migrations" "$SECONDS_PER_RUN"
fi
