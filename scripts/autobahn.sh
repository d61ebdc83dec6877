#!/usr/bin/env bash
# Runs the Autobahn|Testsuite (wstest fuzzingclient) against pulse-ws-echo and prints
# OK / NON-STRICT / INFORMATIONAL / UNIMPLEMENTED / FAILED per category.
# Usage: scripts/autobahn.sh [CATEGORY...]   (default: 1 2 3 4 5 6 7 9 12 13)
# Needs Python 2.7.18 from pyenv (`pyenv install 2.7.18` if missing); the virtualenv with
# the pinned packages (scripts/autobahn/requirements.txt) is created on first use in
# $AUTOBAHN_VENV (default ~/.cache/pulse/autobahn-venv). Reports: $AUTOBAHN_OUT.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CATEGORIES=("$@")
[ ${#CATEGORIES[@]} -eq 0 ] && CATEGORIES=(1 2 3 4 5 6 7 9 12 13)
VENV="${AUTOBAHN_VENV:-$HOME/.cache/pulse/autobahn-venv}"
OUT="${AUTOBAHN_OUT:-${TMPDIR:-/tmp}/pulse-autobahn}"
PY27="${PYTHON27:-$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")/versions/2.7.18/bin/python}"

if [ ! -x "$VENV/bin/wstest" ]; then
    if [ ! -x "$PY27" ]; then
        echo "Python 2.7.18 not found at $PY27: run 'pyenv install 2.7.18' (or set PYTHON27)" >&2
        exit 2
    fi
    echo "creating the Autobahn virtualenv in $VENV"
    "$PY27" -m virtualenv --version >/dev/null 2>&1 || "$PY27" -m pip install -q "virtualenv==20.15.1"
    "$PY27" -m virtualenv -q "$VENV"
    "$VENV/bin/pip" install -q -r "$ROOT/scripts/autobahn/requirements.txt"
    "$VENV/bin/pip" install -q "wsaccel==0.6.2" || echo "wsaccel (optional speed-up) did not build; continuing"
fi

echo "building pulse-ws-echo (release)"
(cd "$ROOT" && swift build -c release --product pulse-ws-echo >/dev/null)
BIN="$(cd "$ROOT" && swift build -c release --show-bin-path)/pulse-ws-echo"

rm -rf "$OUT" && mkdir -p "$OUT/reports"
ulimit -n 4096
"$BIN" --port 0 > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
PORT=""
for _ in $(seq 100); do
    PORT=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$OUT/server.log" | head -1)
    [ -n "$PORT" ] && break
    sleep 0.1
done
[ -n "$PORT" ] || { echo "pulse-ws-echo did not start:"; cat "$OUT/server.log"; exit 1; }
echo "pulse-ws-echo on port $PORT; reports in $OUT/reports"

for cat in "${CATEGORIES[@]}"; do
    case "$cat" in 12|13) limit=2400 ;; *) limit=900 ;; esac
    sed -e "s#@OUTDIR@#$OUT/reports/$cat#" -e "s#@PORT@#$PORT#" -e "s#@CATEGORY@#$cat#" \
        "$ROOT/scripts/autobahn/fuzzingclient.json" > "$OUT/spec-$cat.json"
    start=$(date +%s)
    (cd "$OUT" && timeout "$limit" "$VENV/bin/wstest" -m fuzzingclient -s "$OUT/spec-$cat.json" > "$OUT/wstest-$cat.log" 2>&1) \
        || echo "category $cat: wstest exited with status $? (see $OUT/wstest-$cat.log)"
    echo "category $cat done in $(( $(date +%s) - start ))s"
    kill -0 $SERVER 2>/dev/null || { echo "pulse-ws-echo died:"; tail -20 "$OUT/server.log"; exit 1; }
done
python3 "$ROOT/scripts/autobahn/summary.py" "$OUT/reports" "${CATEGORIES[@]}"
