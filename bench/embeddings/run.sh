#!/usr/bin/env bash
# Local embeddings benchmark: pulse-embed (pure Swift) vs PyTorch CPU (sentence-transformers)
# on the same model files and the same texts, one thread and all cores, in one run.
#
#   bench/embeddings/run.sh                 # 16/128/256 tokens, 1 thread and all cores
#   TOKENS=128 THREADS=1 SECONDS_PER=5 ROUNDS=1 bench/embeddings/run.sh
#
# For every configuration the two sides are measured back to back (order swapped every
# round; PyTorch stays loaded in a coprocess, pulse-embed starts per measurement, which
# takes well under a second), ROUNDS rounds (default 3); the table shows medians. This
# way load from other processes on a shared box hits both sides alike.
#
# Needs: swift, python3 (PyPI reachable the first time: torch + sentence-transformers are
# installed into bench/embeddings/.venv, a throwaway virtualenv, several GB).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
TOKENS="${TOKENS:-16,128,256}"
THREADS="${THREADS:-1,0}"
SECONDS_PER="${SECONDS_PER:-4}"
BATCH="${BATCH:-32}"
ROUNDS="${ROUNDS:-3}"
VENV="$ROOT/bench/embeddings/.venv"
MODEL="$ROOT/models/all-MiniLM-L6-v2"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

scripts/install-model.sh
echo "== building pulse-embed (release)"
swift build -c release --product pulse-embed 2>&1 | tail -1
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c "import sentence_transformers" 2>/dev/null; then
  echo "== creating $VENV (torch + sentence-transformers from PyPI)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet torch sentence-transformers
fi

echo "== $(date -u '+%F %T') UTC, $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
COMMON=(--seconds "$SECONDS_PER" --batch "$BATCH")
coproc TORCH { HF_HUB_OFFLINE=1 exec "$VENV/bin/python" "$ROOT/bench/embeddings/pytorch_bench.py" --model "$MODEL" --serve "${COMMON[@]}" 2>/dev/null; }
read -r -u "${TORCH[0]}" header && echo "$header"
swift_side() {
  PULSE_EMBEDDING_MODEL_DIR="$MODEL" "$ROOT/.build/release/pulse-embed" bench --tokens "$1" --threads "$2" "${COMMON[@]}" \
    | awk '/^swift/ {line=$0} /^# peak RSS/ {rss=$4} END {print line " peak_rss_mb=" rss}' | tee -a "$OUT/swift.txt"
}
torch_side() {
  echo "$1 $2" >&"${TORCH[1]}"
  read -r -u "${TORCH[0]}" line && echo "$line" | tee -a "$OUT/pytorch.txt"
}
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round/$ROUNDS"
  for tokens in ${TOKENS//,/ }; do
    for threads in ${THREADS//,/ }; do
      if (( round % 2 )); then swift_side "$tokens" "$threads"; torch_side "$tokens" "$threads"
      else torch_side "$tokens" "$threads"; swift_side "$tokens" "$threads"; fi
    done
  done
done
exec {TORCH[1]}>&-
wait
echo
python3 - "$OUT" "$ROUNDS" <<'PY'
import re, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def parse(side):
    rows, rss = {}, 0
    for line in open(f"{out}/{side}.txt"):
        m = re.match(r"\w+ tokens=(\d+) threads=(\d+) texts_per_s=([\d.]+) cpu_ms_per_text=([\d.]+) peak_rss_mb=(\d+)", line)
        if m:
            rows.setdefault((int(m[1]), int(m[2])), []).append((float(m[3]), float(m[4])))
            rss = max(rss, int(m[5]))
    return rows, rss
swift, swift_rss = parse("swift")
torch, torch_rss = parse("pytorch")
med = statistics.median
print(f"medians of {rounds} rounds; the two sides run back to back per configuration, so the")
print("paired ratio (median over rounds of Swift/PyTorch within the same round) is the fairest figure")
print("| tokens | threads | Swift texts/s | PyTorch texts/s | paired ratio (per-round values) | Swift CPU ms/text | PyTorch CPU ms/text | CPU-time ratio |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|")
for key in sorted(swift):
    s, t = swift[key], torch.get(key, [])
    ratios = [a[0] / b[0] for a, b in zip(s, t)]
    cpu_s, cpu_t = med(x[1] for x in s), med(x[1] for x in t)
    print(f"| {key[0]} | {key[1]} | {med(x[0] for x in s):.1f} | {med(x[0] for x in t):.1f} | "
          f"{med(ratios):.2f}x ({', '.join(f'{r:.2f}' for r in ratios)}) | {cpu_s:.1f} | {cpu_t:.1f} | {cpu_t / cpu_s:.2f}x |")
print(f"\npeak RSS with the model loaded (max over all measurements): Swift {swift_rss} MB, PyTorch {torch_rss} MB")
PY
