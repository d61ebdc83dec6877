#!/usr/bin/env bash
# Vector engine benchmark: PulseVector (pulse-vector bench) against hnswlib and faiss
# IndexHNSWFlat on the same seeded data, same M / ef_construction, same machine, same run.
#
#   bench/vector/run.sh                       # full size: 200k x 384 and 20k x 1536
#   N384=20000 N1536=5000 bench/vector/run.sh # quick run
#   SETS=text bench/vector/run.sh             # only the real sentence embeddings
#
# Environment: N384, N1536, NTEXT (base sizes; NTEXT sentences embedded with all-MiniLM-L6-v2), NQ (queries, 1000), THREADS ("1 2": build threads),
# EFS (ef_search list), M (16), EFC (200), DATA_DIR (bench/data/vector), SKIP_BUILD=1,
# PULSE_VECTOR_BIN (a pulse-vector binary to time instead of building one),
# SETS ("384 1536 text": which data sets to run), ENGINES ("pulsevector hnswlib faiss").
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA=${DATA_DIR:-$ROOT/bench/data/vector}
RESULTS=$ROOT/bench/results/vector
N384=${N384:-200000}
N1536=${N1536:-20000}
NTEXT=${NTEXT:-30000}
NQ=${NQ:-1000}
THREADS=${THREADS:-"1 2"}
ENGINES=${ENGINES:-"pulsevector hnswlib faiss"}
EFS=${EFS:-10,20,40,80,160,320}
M=${M:-16}
EFC=${EFC:-200}
PY=$HERE/.venv/bin/python

if [ ! -x "$PY" ] || ! "$PY" -c "import hnswlib, faiss, numpy" 2>/dev/null; then
    echo "== creating $HERE/.venv (numpy, hnswlib, faiss-cpu from PyPI)" >&2
    python3 -m venv "$HERE/.venv"
    "$HERE/.venv/bin/pip" install -q numpy hnswlib faiss-cpu
fi

# pulse-vector is benchmarked exactly as the product is built: Package.swift compiles PulseVector
# for AVX2+FMA when the build machine has both (as for the embedding kernels; hnswlib's own
# build uses -march=native), else for portable x86-64. PULSE_PORTABLE_KERNELS=1 forces portable.
SCRATCH=$ROOT/.build-bench
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    echo "== building pulse-vector and pulse-embed (release)" >&2
    (cd "$ROOT" && swift build -c release --product pulse-vector --scratch-path "$SCRATCH" >&2)
    case " ${SETS:-384 1536 text} " in
        *" text "*) (cd "$ROOT" && swift build -c release --product pulse-embed --scratch-path "$SCRATCH" >&2) ;;
    esac
fi
OURS=${PULSE_VECTOR_BIN:-$SCRATCH/release/pulse-vector}

mkdir -p "$DATA" "$RESULTS"
run_set() {
    local name=$1 n=$2 dim=$3 seed=$4
    local tag="${name}_${n}"
    if [ ! -f "$DATA/${tag}_gt.ivecs" ]; then
        echo "== generating $tag (n=$n dim=$dim queries=$NQ seed=$seed)" >&2
        if [ "$name" = minilm ]; then
            # Real sentence embeddings: seeded sentences embedded by the local model (needs
            # scripts/install-model.sh, or PULSE_EMBEDDING_MODEL_DIR pointing at a copy).
            "$PY" "$HERE/embed_sentences.py" "$SCRATCH/release/pulse-embed" "$DATA" "$tag" "$n" "$NQ" "$seed"
        else
            "$PY" "$HERE/gen_data.py" "$DATA" "$tag" "$n" "$dim" "$NQ" "$seed"
        fi
    fi
    local args=(--base "$DATA/${tag}_base.fvecs" --query "$DATA/${tag}_query.fvecs" --gt "$DATA/${tag}_gt.ivecs"
        --m "$M" --ef-construction "$EFC" --ef-search "$EFS" --k 10)
    for t in $THREADS; do
        echo "== $tag, build threads $t" >&2
        for engine in $ENGINES; do
            local csv="$RESULTS/${tag}_t${t}_${engine}.csv"
            echo "== $engine, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
            case $engine in
                pulsevector) "$OURS" bench "${args[@]}" --threads "$t" > "$csv.tmp" ;;
                hnswlib | faiss) "$PY" "$HERE/peers.py" "$engine" "${args[@]}" --threads "$t" > "$csv.tmp" ;;
                *) echo "unknown engine $engine" >&2; exit 2 ;;
            esac
            mv "$csv.tmp" "$csv"
        done
        # Side by side from the latest CSV of each engine (ENGINES may run them one at a time).
        local csvs=("$RESULTS/${tag}_t${t}_pulsevector.csv" "$RESULTS/${tag}_t${t}_hnswlib.csv" "$RESULTS/${tag}_t${t}_faiss.csv")
        if [ -f "${csvs[0]}" ] && [ -f "${csvs[1]}" ] && [ -f "${csvs[2]}" ]; then
            "$PY" "$HERE/compare.py" "$tag threads=$t" "${csvs[@]}"
        fi
    done
}

echo "# $(date -u '+%F %H:%M') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for set in ${SETS:-384 1536 text}; do
    case $set in
        384) run_set clustered384 "$N384" 384 384 ;;
        1536) run_set clustered1536 "$N1536" 1536 1536 ;;
        text) run_set minilm "$NTEXT" 384 7 ;;
        *) echo "unknown set $set (384, 1536 or text)" >&2; exit 2 ;;
    esac
done
echo "# done $(date -u '+%H:%M') UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
