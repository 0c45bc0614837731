#!/usr/bin/env python3
"""Prefix caching on and off, side by side on our server. Standard library only.

Starts `serve` twice (--enable-prefix-caching, then --no-enable-prefix-caching; one at a time, the machine has 2
cores) and on each runs:
  - outputs: 16 greedy chat requests sharing a ~1000-token system prompt, one after another and all at once; the
    texts must be identical between the two servers and between the two orders (batch invariance)
  - TTFT: c=1, the shared ~1000-token system prompt + a 16-token question, 16 output tokens (load.py)
  - throughput: the same workload at c=16 with 64 output tokens (load.py)
  - multi-turn: conversations of 8 turns, each resending the history (load.py --multi-turn), TTFT per turn

  swift build -c release --product serve
  python3 scripts/prefix_cache_bench.py --serve .build/release/serve --model weights/smol-135m

Extra server flags go through --serve-arg (e.g. --serve-arg=--spec=off, the default here, so that the numbers
show the cache and not speculation).
"""
import argparse
import http.client
import json
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_llama  # noqa: E402  (Server, free_port, stop_all)
import load  # noqa: E402  (make_system_prompt, make_question)

SCRIPTS = Path(__file__).resolve().parent


def chat(url, model, messages, max_tokens):
    parsed = urllib.parse.urlparse(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=600)
    body = {"model": model, "messages": messages, "max_tokens": max_tokens, "temperature": 0}
    connection.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
    response = connection.getresponse()
    payload = json.loads(response.read())
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {payload}")
    return payload["choices"][0]["message"]["content"], payload["usage"]


def shared_prompt_messages(args):
    system = load.make_system_prompt(args.seed, args.shared_prefix_tokens)
    rng = load.random.Random(args.seed + 1)
    return [[{"role": "system", "content": system}, {"role": "user", "content": load.make_question(rng, 16)}]
            for _ in range(16)]


def outputs(url, model, conversations, concurrently):
    """The greedy texts of `conversations`, in order, and the cached prompt tokens each usage reported."""
    texts, cached = [None] * len(conversations), [None] * len(conversations)

    def one(index):
        texts[index], usage = chat(url, model, conversations[index], 32)
        cached[index] = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")

    if concurrently:
        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(conversations))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        for index in range(len(conversations)):
            one(index)
    return texts, cached


def run_load(url, model, extra, seed):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, str(SCRIPTS / "load.py"), "--url", url, "--model", model, "--seed", str(seed),
                   "--json", out.name] + extra
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return json.loads(Path(out.name).read_text())


def measure(server, args):
    model = server.model_id()
    conversations = shared_prompt_messages(args)
    result = {}
    result["sequential"], result["sequential_cached"] = outputs(server.url, model, conversations, False)
    result["concurrent"], result["concurrent_cached"] = outputs(server.url, model, conversations, True)
    shared = ["--chat", "--shared-prefix-tokens", str(args.shared_prefix_tokens), "--prompt-tokens", "16"]
    # Each workload with its own seed: its system prompt is new to the server, so the first request pays for it.
    result["ttft"] = run_load(server.url, model, shared + ["-c", "1", "--requests", str(args.ttft_requests),
                                                           "--output-tokens", "16"], args.seed + 10)
    result["c16"] = run_load(server.url, model, shared + ["-c", "16", "--requests", "64", "--output-tokens", "64"],
                             args.seed + 20)
    result["multi_turn"] = run_load(server.url, model, [
        "-c", "1", "--requests", str(args.conversations), "--multi-turn", "8", "--shared-prefix-tokens", "200",
        "--prompt-tokens", "32", "--output-tokens", "64"], args.seed + 30)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", required=True, help="our serve binary (a release build)")
    parser.add_argument("--model", required=True, help="model directory or configured name")
    parser.add_argument("--serve-arg", action="append", default=[], help="extra flag for serve (repeatable)")
    parser.add_argument("--shared-prefix-tokens", type=int, default=1000)
    parser.add_argument("--ttft-requests", type=int, default=12)
    parser.add_argument("--conversations", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--startup-timeout", type=float, default=600)
    args = parser.parse_args()
    serve_args = args.serve_arg or ["--spec", "off"]

    results = {}
    try:
        with tempfile.TemporaryDirectory() as logs:
            for caching in ("on", "off"):
                flag = "--enable-prefix-caching" if caching == "on" else "--no-enable-prefix-caching"
                port = compare_llama.free_port()
                command = [args.serve, "--model", args.model, "--port", str(port), flag] + serve_args
                server = compare_llama.Server(f"serve caching {caching}", command, port, logs)
                server.wait_ready(args.startup_timeout)
                print(f"caching {caching}: measuring ...", file=sys.stderr)
                results[caching] = measure(server, args)
                server.stop()
    finally:
        compare_llama.stop_all()

    on, off = results["on"], results["off"]
    print(f"serve {' '.join(serve_args)}; shared system prompt ~{args.shared_prefix_tokens} tokens\n")
    same = lambda a, b: sum(x == y for x, y in zip(a, b))
    print("Greedy outputs, 16 requests sharing the system prompt (32 tokens each):")
    print(f"  caching on = off: one after another {same(on['sequential'], off['sequential'])}/16, "
          f"all at once {same(on['concurrent'], off['concurrent'])}/16")
    print(f"  all at once = one after another: caching on {same(on['concurrent'], on['sequential'])}/16, "
          f"off {same(off['concurrent'], off['sequential'])}/16")
    print(f"  cached prompt tokens reported (on, one after another): {on['sequential_cached']}\n")

    ms = lambda s: "-" if s is None else f"{s * 1000:.1f}"
    ratio = lambda a, b: "-" if not a or not b else f"{a / b:.2f}"
    print("| workload | caching on | caching off | gain from caching |")
    print("|---|---|---|---|")
    t_on, t_off = on["ttft"]["ttft_s"]["p50"], off["ttft"]["ttft_s"]["p50"]
    print(f"| TTFT p50, c=1, {args.ttft_requests} requests (ms) | {ms(t_on)} | {ms(t_off)} | {ratio(t_off, t_on)} |")
    x_on, x_off = on["c16"]["output_tok_per_s"], off["c16"]["output_tok_per_s"]
    print(f"| output tok/s, c=16, 64 requests | {x_on:.1f} | {x_off:.1f} | {ratio(x_on, x_off)} |")
    e_on, e_off = on["c16"]["ttft_s"]["p50"], off["c16"]["ttft_s"]["p50"]
    print(f"| TTFT p50, c=16 (ms) | {ms(e_on)} | {ms(e_off)} | {ratio(e_off, e_on)} |")
    share = on["ttft"].get("cached_share")
    print(f"\ncached share of prompt tokens, c=1 run with caching on: {'-' if share is None else f'{share:.1%}'}\n")

    print(f"Multi-turn chat, {args.conversations} conversations of 8 turns (200-token system prompt, 32-token "
          "questions, 64-token replies, history resent), TTFT p50 per turn (ms):\n")
    print("| turn | prompt tokens | caching on | caching off |")
    print("|---|---|---|---|")
    for row_on, row_off in zip(on["multi_turn"]["ttft_by_turn_s"], off["multi_turn"]["ttft_by_turn_s"]):
        print(f"| {row_on['turn']} | {row_on['prompt_tokens_p50']} | {ms(row_on['p50'])} | {ms(row_off['p50'])} |")
    identical = on["sequential"] == off["sequential"] and on["concurrent"] == off["concurrent"] \
        and on["concurrent"] == on["sequential"]
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
