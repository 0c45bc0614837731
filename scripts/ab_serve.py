#!/usr/bin/env python3
"""Paired A/B of two builds (or two settings) of our server: both up at once, identical loads alternated.

These VMs drift by ~10% within minutes, so measuring one server after the other cannot resolve a change of a few
percent. Here both servers run at once (idle but for the load of the moment) and each round sends the same load to
both, A first in odd rounds and B first in even ones; the ratio B / A is taken per round, so drift slower than a
round cancels out. Prints each round and the median ratio (above 1: B faster / sooner).

  # throughput, closed loop (as compare_llama.py: ~128-token prompts, 128 streamed tokens, greedy, ignore_eos)
  python3 scripts/ab_serve.py --a /tmp/serve-before --b .build/release/serve --model weights/smol-135m -c 16
  # one binary, two settings
  python3 scripts/ab_serve.py --a .build/release/serve --b .build/release/serve --b-env SERVE_GREEDY_HEAD=off -c 1
  # time to first token of fresh ~1000-token prompts instead (each prompt sent to both)
  python3 scripts/ab_serve.py --a /tmp/serve-before --b .build/release/serve --model weights/smol-135m \\
      --ttft-words 1000 --rounds 16
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_llama as compare  # noqa: E402  (Server, closed loop, TTFT)
import load  # noqa: E402


def start(name, binary, env, args, log_dir):
    port = compare.free_port()
    command = [binary, "--model", args.model, "--host", "127.0.0.1", "--port", str(port), "--spec", "off",
               "--max-num-seqs", str(max(16, args.concurrency)), "--kv-cache-memory", str(args.kv_cache_memory)]
    previous = {key: os.environ.get(key) for key in env}
    os.environ.update(env)  # Server inherits the environment at spawn
    try:
        server = compare.Server(name, command + args.serve_arg, port, log_dir)
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return server


def parse_env(pairs):
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--a-env/--b-env takes KEY=VALUE, not {pair!r}")
        env[key] = value
    return env


def measure(server, args, seed):
    """One round's number for `server`: output tok/s of a closed loop, or TTFT ms of one fresh prompt."""
    rng = random.Random(seed)
    if args.ttft_words:
        ns = compare.request_args(server, args)
        result = load.run_request(ns, compare.words_prompt(rng, args.ttft_words), 1)
        return result.ttft * 1000 if result.ok else None
    return compare.run_closed_loop(server, args, args.concurrency, rng)["tok_per_s"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True, help="serve binary A (the baseline)")
    parser.add_argument("--b", required=True, help="serve binary B (the change)")
    parser.add_argument("--model", default="weights/smol-135m", help="model directory or name")
    parser.add_argument("--a-env", action="append", default=[], metavar="KEY=VALUE", help="environment of A only")
    parser.add_argument("--b-env", action="append", default=[], metavar="KEY=VALUE", help="environment of B only")
    parser.add_argument("--serve-arg", action="append", default=[], help="extra serve argument for both (repeat)")
    parser.add_argument("-c", "--concurrency", type=int, default=16, help="closed-loop clients")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--requests-per-client", dest="rounds_per_client", type=int, default=2,
                        help="requests per client in each round's closed loop")
    parser.add_argument("--prompt-tokens", type=int, default=128)
    parser.add_argument("--output-tokens", type=int, default=128)
    parser.add_argument("--ttft-words", type=int, default=0, help="measure TTFT of prompts this long (~tokens) instead")
    parser.add_argument("--kv-cache-memory", type=int, default=562, help="both servers' --kv-cache-memory (MiB)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--request-timeout", type=float, default=300)
    parser.add_argument("--start-timeout", type=float, default=600)
    args = parser.parse_args()
    # run_closed_loop sends concurrency x args.rounds requests; keep --rounds for the A/B rounds.
    loop_args = types.SimpleNamespace(**vars(args))
    loop_args.rounds = args.rounds_per_client

    log_dir = tempfile.mkdtemp(prefix="ab_serve.")
    servers = [start("A", args.a, parse_env(args.a_env), args, log_dir), start("B", args.b, parse_env(args.b_env), args, log_dir)]
    try:
        for server in servers:
            server.wait_ready(args.start_timeout)
            compare.warm_up(server, loop_args)
        unit, better = ("ms TTFT", "sooner") if args.ttft_words else ("tok/s", "faster")
        ratios = []
        for round_index in range(1, args.rounds + 1):
            seed = args.seed * 1000 + round_index
            order = servers if round_index % 2 else servers[::-1]
            values = {server.name: measure(server, loop_args, seed) for server in order}
            a, b = values["A"], values["B"]
            if a is None or b is None:
                print(f"round {round_index}: a request failed (logs in {log_dir})")
                continue
            # Above 1 means B is better: faster throughput, or a shorter TTFT.
            ratio = a / b if args.ttft_words else b / a
            ratios.append(ratio)
            print(f"round {round_index}: A {a:.1f}  B {b:.1f} {unit}  B vs A {ratio:.3f}", flush=True)
        if ratios:
            print(f"median B vs A {statistics.median(ratios):.3f} over {len(ratios)} rounds "
                  f"(min {min(ratios):.3f}, max {max(ratios):.3f}; above 1: B {better})")
    finally:
        compare.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
