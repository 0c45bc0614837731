#!/usr/bin/env bash
# Builds one libFuzzer target and fuzzes it.
#
#   scripts/fuzz.sh TARGET [SECONDS] [LIBFUZZER_FLAG...]
#   TARGET: tokenizer | chat-template | safetensors | request     SECONDS: default 60
#
# The targets (Sources/Fuzz/Fuzz*; for request, `serve` itself: Sources/Serve/ServeMain.swift) are built in release
# with -sanitize=fuzzer -DFUZZING into their own scratch directory (.build/fuzz), so the plain `swift build` /
# `swift test` builds stay uninstrumented. The corpus grows in
# $FUZZ_DIR/corpus/TARGET (default FUZZ_DIR=/tmp/swift-llm-fuzz), seeded from the repository's fixtures
# (fuzz/seeds.py); crashing, timing-out or out-of-memory inputs land in $FUZZ_DIR/artifacts/TARGET/.
# Replay one without libFuzzer: `swift run FuzzTokenizer FILE` (a plain build runs the same checks on its inputs); a
# request input: copy it to Tests/Fixtures/fuzz/request-NAME and `swift test --filter RequestFuzz`, or run the fuzzing
# build on it (`.build/fuzz/release/serve FILE`).
set -euo pipefail

cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh tokenizer|chat-template|safetensors|request [SECONDS] [LIBFUZZER_FLAG...]}
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))

case $target in
    tokenizer) product=FuzzTokenizer; flags=(-max_len=512) ;;
    chat-template) product=FuzzChatTemplate; flags=(-max_len=4096 -dict=fuzz/jinja.dict) ;;
    safetensors) product=FuzzSafeTensors; flags=(-max_len=4096 -dict=fuzz/safetensors.dict) ;;
    request) product=serve; flags=(-max_len=4096 -dict=fuzz/request.dict) ;;
    *) echo "unknown target $target (tokenizer, chat-template, safetensors, request)" >&2; exit 2 ;;
esac

fuzz_dir=${FUZZ_DIR:-/tmp/swift-llm-fuzz}
corpus=$fuzz_dir/corpus/$target
artifacts=$fuzz_dir/artifacts/$target
mkdir -p "$corpus" "$artifacts"
python3 fuzz/seeds.py "$target" "$corpus"

# The scratch directory reuses the main build's package checkouts, so no network is needed.
if [[ ! -e .build/fuzz/checkouts && -d .build/checkouts ]]; then
    mkdir -p .build/fuzz
    cp -r .build/checkouts .build/repositories .build/workspace-state.json .build/fuzz/ 2>/dev/null || true
fi
swift build -c release --scratch-path .build/fuzz --product "$product" \
    -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING
binary=.build/fuzz/release/$product

# -timeout: one input running over 10 s is a hang; -rss_limit_mb: over 2 GB is a memory blow-up.
set +e
# SWIFT_BACKTRACE=enable=no: let libFuzzer, not the Swift backtracer, catch a trap, so it saves the input.
export SWIFT_BACKTRACE=enable=no
"$binary" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "${flags[@]}" "$@" 2>&1 | tee "$fuzz_dir/$target.log"
status=${PIPESTATUS[0]}
set -e

echo
echo "corpus: $corpus ($(ls "$corpus" | wc -l) inputs)   log: $fuzz_dir/$target.log"
if [[ $status -ne 0 ]]; then
    echo "FAILED (exit $status): inputs in $artifacts:"
    ls -l "$artifacts"
    exit "$status"
fi
echo "no crash, hang or OOM in ${seconds} s"
