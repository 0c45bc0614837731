#!/usr/bin/env bash
# Quality of our weight formats next to llama.cpp's, on the same text with the same method.
#
#   scripts/quality_compare.sh BENCH MODEL_DIR LLAMA_PERPLEXITY GGUF_DIR [TEXT]
#
#   BENCH             our bench binary (swift build -c release --product bench; .build/release/bench)
#   MODEL_DIR         our model directory (weights/smol-135m)
#   LLAMA_PERPLEXITY  llama.cpp's llama-perplexity
#   GGUF_DIR          holds *bf16*.gguf, *q8_0*.gguf, *q4_0*.gguf (case ignored) of the same weights: the first from
#                     scripts/make_gguf.py, the others from it with llama-quantize
#   TEXT              default scripts/data/persuasion-ch1-3.txt
#   environment: CTX (512), CHUNKS (all), THREADS (llama.cpp threads, 2), FORMATS ("q8_0 q4_0"), KEEP=1 keeps logs
#
# Ours: `bench perplexity` (bf16 and each format in one process). llama.cpp: `llama-perplexity --kl-divergence-base`
# on the BF16 GGUF (perplexity, and it saves the base log-probs), then `--kl-divergence` on each quantized GGUF.
# Both tokenize the whole text, score the second half of each CTX-token chunk, add no BOS (SmolLM2 has none).
set -euo pipefail

if [[ $# -lt 4 ]]; then
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
BENCH="$1" MODEL_DIR="$2" LLAMA_PERPLEXITY="$3" GGUF_DIR="$4"
TEXT="${5:-$(cd "$(dirname "$0")" && pwd)/data/persuasion-ch1-3.txt}"
CTX="${CTX:-512}" THREADS="${THREADS:-2}" FORMATS="${FORMATS:-q8_0 q4_0}"
CHUNK_ARGS=()
[[ -n "${CHUNKS:-}" ]] && CHUNK_ARGS=(--chunks "$CHUNKS")

die() { echo "quality_compare: $*" >&2; exit 1; }
[[ -x "$BENCH" ]] || die "bench binary $BENCH is not executable"
[[ -x "$LLAMA_PERPLEXITY" ]] || die "llama-perplexity $LLAMA_PERPLEXITY is not executable"
[[ -f "$MODEL_DIR/model.safetensors" ]] || die "$MODEL_DIR has no model.safetensors"
[[ -f "$TEXT" ]] || die "no text file $TEXT"
gguf_for() {
    local found
    found="$(find "$GGUF_DIR" -maxdepth 1 -iname "*$1*.gguf" | sort | head -n 1)"
    [[ -n "$found" ]] || die "no *$1*.gguf in $GGUF_DIR"
    echo "$found"
}

WORK="$(mktemp -d)"
if [[ "${KEEP:-0}" == 1 ]]; then echo "logs in $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi

echo "== ours: $BENCH perplexity (ctx $CTX) on $TEXT"
"$BENCH" perplexity --model "$MODEL_DIR" --text "$TEXT" --ctx "$CTX" --dtype "$(echo $FORMATS | tr ' ' ',')" \
    "${CHUNK_ARGS[@]}" 2>"$WORK/ours.err" | tee "$WORK/ours.txt" || { cat "$WORK/ours.err" >&2; die "bench perplexity failed"; }

# run_llama LOG PATTERN ARGS...: llama-perplexity with output in LOG, which must then match PATTERN. Tried twice:
# its log lines go through a writer thread, and on a busy machine the last ones were once missing at exit.
run_llama() {
    local log="$1" pattern="$2" attempt
    shift 2
    for attempt in 1 2; do
        "$LLAMA_PERPLEXITY" "$@" >"$log" 2>&1 || { tail -20 "$log" >&2; die "llama-perplexity $* failed"; }
        grep -qE "$pattern" "$log" && return 0
        echo "   (no '$pattern' in llama-perplexity's output, attempt $attempt)" >&2
    done
    tail -20 "$log" >&2
    die "llama-perplexity printed no '$pattern' (see above)"
}

echo "== llama.cpp: bf16 base"
run_llama "$WORK/llama-bf16.log" "Final estimate" -m "$(gguf_for bf16)" -f "$TEXT" -c "$CTX" -t "$THREADS" \
    --kl-divergence-base "$WORK/base.kld" "${CHUNK_ARGS[@]}"
grep -E "Final estimate" "$WORK/llama-bf16.log"
for format in $FORMATS; do
    echo "== llama.cpp: $format against bf16 (statistics need at least 100 scored tokens)"
    run_llama "$WORK/llama-$format.log" "Same top p:" -m "$(gguf_for "$format")" -c "$CTX" -t "$THREADS" \
        --kl-divergence-base "$WORK/base.kld" --kl-divergence
    grep -E "Mean PPL\(Q\) |Mean +KLD|99.0% +KLD|Same top p:" "$WORK/llama-$format.log"
done

# Our table rows: format, PPL, ±, error, ΔPPL%, mean KL, KL p99, top-1%.
ours() { awk -v f="$1" -v col="$2" '$1 == f && $3 == "±" { print $col }' "$WORK/ours.txt"; }
# llama-perplexity's summary lines: "Mean PPL(Q) : x ± y", "Mean    KLD: x ± y", "99.0%   KLD: x", "Same top p: x ± y %".
# Printed with our table's digits: printf FORMAT.
llama() {
    local value
    value="$(grep -E "$2" "$WORK/llama-$1.log" | head -n 1 | sed -E 's/.*: *([-0-9.]+).*/\1/')"
    if [[ -n "$value" ]]; then printf "$3" "$value"; fi
}
ours_tokens="$(sed -nE 's/.*: ([0-9]+) tokens, ([0-9]+) chunks.*/\1 tokens, \2 chunks/p' "$WORK/ours.txt")"
llama_tokens="$(sed -nE 's/.*have ([0-9]+) tokens.*/\1/p; s/.*calculating perplexity over ([0-9]+) chunks.*/\1 chunks/p' "$WORK/llama-bf16.log" | paste -sd' ')"

echo
echo "Perplexity and divergence from bf16, $(basename "$TEXT"), ctx $CTX (ours: $ours_tokens; llama.cpp: ${llama_tokens:-?})"
echo
echo "| format | ours PPL | ours mean KL | ours KL p99 | ours top-1 | llama.cpp PPL | llama.cpp mean KL | llama.cpp KL p99 | llama.cpp top-1 |"
echo "|---|---|---|---|---|---|---|---|---|"
llama_bf16_ppl="$(sed -nE 's/.*Final estimate: PPL = ([0-9.]+).*/\1/p' "$WORK/llama-bf16.log")"
echo "| bf16 | $(ours bf16 2) | – | – | – | $(printf %.4f "${llama_bf16_ppl:-0}") | – | – | – |"
for format in $FORMATS; do
    if [[ -z "$(ours "$format" 2)" ]]; then
        our_cells="(not loaded) | | |"
    else
        our_cells="$(ours "$format" 2) | $(ours "$format" 6) | $(ours "$format" 7) | $(ours "$format" 8)"
    fi
    echo "| $format | $our_cells | $(llama "$format" 'Mean PPL\(Q\) ' %.4f) | $(llama "$format" 'Mean +KLD' %.6f) |" \
         "$(llama "$format" '99.0% +KLD' %.6f) | $(llama "$format" 'Same top p:' %.2f%%) |"
done
