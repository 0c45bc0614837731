#!/usr/bin/env bash
# Trains the small SentencePiece BPE model used by the tokenizer tests and records reference ids.
# Needs Debian's `sentencepiece` tools (spm_train, spm_encode, spm_decode) and python3 with numpy + safetensors
# (for the tiny random LLaMA that uses this tokenizer). Run from anywhere:
#   bash scripts/make_spm_fixtures.sh [PYTHON]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/Tests/Fixtures/spm"
PYTHON="${1:-python3}"
cd "$OUT"

# Llama-style settings: BPE, byte fallback, digits split, identity normalization, dummy prefix.
VOCAB_SIZE=800
spm_train --input=corpus.txt --model_prefix=tokenizer --model_type=bpe --vocab_size=$VOCAB_SIZE \
    --byte_fallback=true --split_digits=true --character_coverage=1.0 \
    --normalization_rule_name=identity --remove_extra_whitespaces=false --add_dummy_prefix=true \
    --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 --num_threads=1 --minloglevel=2
rm -f tokenizer.vocab

SPM_VOCAB_SIZE=$VOCAB_SIZE "$PYTHON" "$ROOT/scripts/make_spm_fixtures.py" "$OUT"
