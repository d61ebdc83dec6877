#!/usr/bin/env bash
# Runs every Pulse test on this machine: installs what the tests need (system libraries,
# PostgreSQL, the embedding model, Python peers), builds, runs the whole Swift test suite
# (unit tests and integration tests that start real PostgreSQL clusters, servers and
# processes), then short bounded fuzz runs of the HTTP and WebSocket decoders.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
[ -x scripts/install-model.sh ] && scripts/install-model.sh

# Tests open thousands of sockets (1,000-connection test, WebSocket peers).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "== swift build (debug, with tests)"
swift build --build-tests
echo "== swift test"
swift test --skip-build
# Suites that run on their own, outside the parallel run (see the tests' own comments).
echo "== swift test (isolated suites)"
PULSE_ISOLATED_SUITES=1 swift test --skip-build --filter GitHubSandboxTests

# The web app in headless Chromium against real processes (Tests/web, pytest). Exit code 5 means
# pytest collected no test: that is a failure here (the suite must exist and run), not a pass.
echo "== browser tests (Tests/web)"
set +e
python3 -m pytest -q -p no:cacheprovider Tests/web
web_status=$?
set -e
if [ "$web_status" -eq 5 ]; then
  echo "browser tests: pytest collected no test" >&2
  exit 1
elif [ "$web_status" -ne 0 ]; then
  exit "$web_status"
fi

fuzz_seconds="${PULSE_FUZZ_SECONDS:-30}"
for fuzz in fuzz/http/run.sh fuzz/websocket/run.sh; do
  if [ -x "$fuzz" ] && [ "$fuzz_seconds" -gt 0 ]; then
    echo "== $fuzz $fuzz_seconds"
    "$fuzz" "$fuzz_seconds"
  fi
done
echo "== all tests passed"
