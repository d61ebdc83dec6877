#!/usr/bin/env bash
# Security / tokens benchmark: token verifications per second on one core with a warm JWKS
# cache, signs per second, RS256 checks, and one password hash at the production cost.
# The peer figures are OpenSSL's own `openssl speed` for the same primitives on this machine.
# Usage: bench/security/run.sh
set -euo pipefail
cd "$(dirname "$0")/SecurityBench"
swift build -c release --product SecurityBench >/dev/null 2>&1 || swift build -c release --product SecurityBench
BIN="$(swift build -c release --show-bin-path)/SecurityBench"

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
taskset -c "$CPU" "$BIN"
echo
echo "== peer: openssl speed on the same core (raw primitive, no JWT work) =="
echo "-- per CPU second (openssl speed default: user CPU time)"
taskset -c "$CPU" openssl speed -seconds 3 ed25519 2>/dev/null | grep -E "Ed25519|sign/s"
taskset -c "$CPU" openssl speed -seconds 3 rsa2048 2>/dev/null | grep -E "rsa 2048"
echo "-- per wall second (-elapsed)"
taskset -c "$CPU" openssl speed -elapsed -seconds 3 ed25519 2>/dev/null | grep -E "Ed25519"
taskset -c "$CPU" openssl speed -elapsed -seconds 3 rsa2048 2>/dev/null | grep -E "rsa 2048"
