#!/usr/bin/env bash
# Property-based API check of a running Pulse service with Schemathesis (PyPI):
#   scripts/schemathesis.sh http://127.0.0.1:3001 <bearer-token> [extra schemathesis options]
# Sends generated requests for every operation in <base>/openapi.json and fails on a server
# error (5xx) or a response that breaks its documented schema. Installs Schemathesis into
# .build/schemathesis-venv on first use. Optional: not part of `swift test`.
set -euo pipefail
base="${1:?usage: scripts/schemathesis.sh BASE_URL TOKEN [options]}"
token="${2:?a bearer token of a client admin}"
shift 2
venv="$(cd "$(dirname "$0")/.." && pwd)/.build/schemathesis-venv"
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check schemathesis
fi
# Schemathesis keeps a cache in its working directory: keep it out of the checkout.
cd "$(mktemp -d)"
exec "$venv/bin/schemathesis" run "$base/openapi.json" --url "$base" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" "$@"
