#!/usr/bin/env bash
# Vector engine benchmark: PulseVector (pulse-vector bench) against hnswlib and faiss
# IndexHNSWFlat on the same seeded data, same M / ef_construction, same machine, same run.
#
#   bench/vector/run.sh                       # full size: 200k x 384 and 20k x 1536
#   N384=20000 N1536=5000 bench/vector/run.sh # quick run
#
# Environment: N384, N1536 (base sizes), NQ (queries, 1000), THREADS ("1 2": build threads),
# EFS (ef_search list), M (16), EFC (200), DATA_DIR (bench/data/vector), SKIP_BUILD=1,
# SETS ("384 1536": which data sets to run).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA=${DATA_DIR:-$ROOT/bench/data/vector}
RESULTS=$ROOT/bench/results/vector
N384=${N384:-200000}
N1536=${N1536:-20000}
NQ=${NQ:-1000}
THREADS=${THREADS:-"1 2"}
EFS=${EFS:-10,20,40,80,160,320}
M=${M:-16}
EFC=${EFC:-200}
PY=$HERE/.venv/bin/python

if [ ! -x "$PY" ] || ! "$PY" -c "import hnswlib, faiss, numpy" 2>/dev/null; then
    echo "== creating $HERE/.venv (numpy, hnswlib, faiss-cpu from PyPI)" >&2
    python3 -m venv "$HERE/.venv"
    "$HERE/.venv/bin/pip" install -q numpy hnswlib faiss-cpu
fi

# Like hnswlib's -march=native: on an AVX2+FMA host, compile for it (PULSE_VECTOR_CPU=x86-64
# or empty gives the portable baseline build, SSE2 only).
if [ -z "${PULSE_VECTOR_CPU+set}" ]; then
    PULSE_VECTOR_CPU=x86-64
    if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then PULSE_VECTOR_CPU=haswell; fi
fi
SCRATCH=$ROOT/.build-bench-${PULSE_VECTOR_CPU:-x86-64}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    echo "== building pulse-vector (release, target cpu ${PULSE_VECTOR_CPU:-x86-64})" >&2
    (cd "$ROOT" && swift build -c release --product pulse-vector --scratch-path "$SCRATCH" \
        -Xswiftc -target-cpu -Xswiftc "${PULSE_VECTOR_CPU:-x86-64}" >&2)
fi
OURS=$SCRATCH/release/pulse-vector

mkdir -p "$DATA" "$RESULTS"
run_set() {
    local name=$1 n=$2 dim=$3 seed=$4
    local tag="${name}_${n}"
    if [ ! -f "$DATA/${tag}_gt.ivecs" ]; then
        echo "== generating $tag (n=$n dim=$dim queries=$NQ seed=$seed)" >&2
        "$PY" "$HERE/gen_data.py" "$DATA" "$tag" "$n" "$dim" "$NQ" "$seed"
    fi
    local args=(--base "$DATA/${tag}_base.fvecs" --query "$DATA/${tag}_query.fvecs" --gt "$DATA/${tag}_gt.ivecs"
        --m "$M" --ef-construction "$EFC" --ef-search "$EFS" --k 10)
    for t in $THREADS; do
        echo "== $tag, build threads $t" >&2
        "$OURS" bench "${args[@]}" --threads "$t" > "$RESULTS/${tag}_t${t}_pulsevector.csv"
        "$PY" "$HERE/peers.py" hnswlib "${args[@]}" --threads "$t" > "$RESULTS/${tag}_t${t}_hnswlib.csv"
        "$PY" "$HERE/peers.py" faiss "${args[@]}" --threads "$t" > "$RESULTS/${tag}_t${t}_faiss.csv"
        "$PY" "$HERE/compare.py" "$tag threads=$t" "$RESULTS/${tag}_t${t}_pulsevector.csv" \
            "$RESULTS/${tag}_t${t}_hnswlib.csv" "$RESULTS/${tag}_t${t}_faiss.csv"
    done
}

echo "# $(date -u +%F) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), pulse-vector target cpu ${PULSE_VECTOR_CPU:-x86-64}"
for set in ${SETS:-384 1536}; do
    case $set in
        384) run_set clustered384 "$N384" 384 384 ;;
        1536) run_set clustered1536 "$N1536" 1536 1536 ;;
        *) echo "unknown set $set (384 or 1536)" >&2; exit 2 ;;
    esac
done
