#!/usr/bin/env bash
# Speculative decoding matrix: off / ngram / (draft) / Predicted Outputs, at c=1 and c=16, one server per mode.
#
#   scripts/spec_matrix.sh [--serve .build/release/serve] [--model smol-135m] [--draft-model PATH] [--pairs N]
#                          [--out DIR] [--repeat R] [--skip-c16] [--no-spec-flag]
#
# For each server mode (off, ngram, draft when --draft-model is given) it starts `serve --spec MODE` on a free
# port (plus $SERVE_EXTRA_ARGS), waits for /health, then runs
#   c=1:  scripts/spec_bench.py (the extractive set, greedy), and again with --prediction (modes off+prediction,
#         ngram+prediction, ...: the request's prediction is each task's original text);
#   c=16: scripts/load.py -c 16 --requests 48 --prompt-tokens 128 --output-tokens 128 (with /metrics scraped
#         around it for the acceptance rate), and spec_bench.py -c 16 --repeat 2 (with --prediction too);
# stops the server and prints a markdown table (scripts/spec_compare.py --matrix). With --pairs N the modes run
# interleaved N times (off, ngram, off, ngram, ...) and ratios are taken within each pair: the machine is noisy.
# Extra spec_bench.py arguments: $SPEC_BENCH_ARGS (e.g. "--only repeat,edit"). --no-spec-flag starts every
# mode without --spec/--draft-model (for a server that predates them: only tests this script).
set -euo pipefail

SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SERVE=.build/release/serve
MODEL=smol-135m
DRAFT_MODEL=""
PAIRS=1
OUT=""
REPEAT=1
SKIP_C16=0
SPEC_FLAG=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --serve) SERVE="$2"; shift 2 ;;
        --model) MODEL="$2"; shift 2 ;;
        --draft-model) DRAFT_MODEL="$2"; shift 2 ;;
        --pairs) PAIRS="$2"; shift 2 ;;
        --out) OUT="$2"; shift 2 ;;
        --repeat) REPEAT="$2"; shift 2 ;;
        --skip-c16) SKIP_C16=1; shift ;;
        --no-spec-flag) SPEC_FLAG=0; shift ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ -x "$SERVE" ]] || { echo "no serve binary at $SERVE (build with: swift build -c release)" >&2; exit 1; }
OUT="${OUT:-$(mktemp -d /tmp/spec_matrix.XXXXXX)}"
mkdir -p "$OUT"
MODES=(off ngram)
[[ -n "$DRAFT_MODEL" ]] && MODES+=(draft)

SERVER_PID=""
stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
trap stop_server EXIT INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_server() {  # mode log
    local mode="$1" log="$2" port args=()
    port="$(free_port)"
    args=(--model "$MODEL" --port "$port")
    if [[ "$SPEC_FLAG" == 1 ]]; then
        args+=(--spec "$mode")
        [[ "$mode" == draft ]] && args+=(--draft-model "$DRAFT_MODEL")
    fi
    # shellcheck disable=SC2206
    [[ -n "${SERVE_EXTRA_ARGS:-}" ]] && args+=($SERVE_EXTRA_ARGS)
    echo "  \$ $SERVE ${args[*]}" >&2
    "$SERVE" "${args[@]}" >"$log" 2>&1 &
    SERVER_PID=$!
    URL="http://127.0.0.1:$port"
    for _ in $(seq 300); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "server exited; last lines of $log:" >&2; tail -5 "$log" >&2; SERVER_PID=""; return 1
        fi
        curl -sf "$URL/health" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    echo "server not healthy after 150 s; see $log" >&2
    return 1
}

spec_delta() {  # before.json after.json out.json: spec counters between two snapshots
    python3 - "$SCRIPTS" "$1" "$2" "$3" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
import spec_bench
load = lambda p: json.load(open(p))
json.dump(spec_bench.spec_summary(load(sys.argv[2]), load(sys.argv[3])), open(sys.argv[4], "w"), indent=1)
PY
}

# shellcheck disable=SC2206
BENCH_EXTRA=(${SPEC_BENCH_ARGS:-})
for pair in $(seq "$PAIRS"); do
    dir="$OUT/pair$pair"
    mkdir -p "$dir"
    for mode in "${MODES[@]}"; do
        echo "== pair $pair/$PAIRS: --spec $mode" >&2
        start_server "$mode" "$dir/$mode.server.log"
        model_id="$(curl -sf "$URL/v1/models" | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"][0]["id"])')"
        bench=(python3 "$SCRIPTS/spec_bench.py" --url "$URL" --model "$model_id" -q "${BENCH_EXTRA[@]}")
        "${bench[@]}" --label "$mode" --repeat "$REPEAT" --json "$dir/$mode.c1.json" --save-outputs "$dir/$mode.c1.txt"
        "${bench[@]}" --label "$mode+prediction" --repeat "$REPEAT" --prediction \
            --json "$dir/$mode+prediction.c1.json" --save-outputs "$dir/$mode+prediction.c1.txt"
        if [[ "$SKIP_C16" == 0 ]]; then
            "${bench[@]}" --metrics-snapshot "$dir/$mode.c16.before.json" || true
            python3 "$SCRIPTS/load.py" --url "$URL" --model "$model_id" -c 16 --requests 48 --prompt-tokens 128 \
                --output-tokens 128 --json "$dir/$mode.c16.json" | sed 's/^/  /'
            "${bench[@]}" --metrics-snapshot "$dir/$mode.c16.after.json" || true
            spec_delta "$dir/$mode.c16.before.json" "$dir/$mode.c16.after.json" "$dir/$mode.c16.spec.json"
            "${bench[@]}" --label "$mode c=16" -c 16 --repeat 2 --json "$dir/$mode.c16x.json"
            "${bench[@]}" --label "$mode+prediction c=16" -c 16 --repeat 2 --prediction --json "$dir/$mode+prediction.c16x.json"
        fi
        stop_server
    done
done

echo
COMMAND="scripts/spec_matrix.sh --serve $SERVE --model $MODEL${DRAFT_MODEL:+ --draft-model $DRAFT_MODEL} --pairs $PAIRS --repeat $REPEAT"
[[ "$SKIP_C16" == 1 ]] && COMMAND+=" --skip-c16"
[[ "$SPEC_FLAG" == 0 ]] && COMMAND+=" --no-spec-flag"
echo "Command: ${SERVE_EXTRA_ARGS:+SERVE_EXTRA_ARGS=\"$SERVE_EXTRA_ARGS\" }${SPEC_BENCH_ARGS:+SPEC_BENCH_ARGS=\"$SPEC_BENCH_ARGS\" }$COMMAND"
echo "Results: $OUT"
echo
python3 "$SCRIPTS/spec_compare.py" --matrix "$OUT"
