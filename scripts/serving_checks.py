#!/usr/bin/env python3
"""Checks of issue 3's serving promises against a running server (standard library only).

  python3 scripts/serving_checks.py --url http://127.0.0.1:8080 [--only stall,drop,invariance]

- invariance: 16 concurrent greedy requests each produce the same text as when sent alone.
- stall: a ~2000-token prompt (1280 words) arriving among 15 running streams; their p99 inter-token latency vs median.
- drop: 16 streams dropped mid-generation; how soon a new request decodes at idle speed, and
  num_requests_running in /metrics afterwards.
Prints one line per check with the measured numbers; exits 1 if a check's condition fails.
"""
import argparse
import http.client
import json
import socket
import statistics
import sys
import threading
import time
import urllib.parse

WORDS = "alpha beta gamma delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa".split()


def connection(url, timeout=300):
    parsed = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(parsed.hostname, parsed.port or 80, timeout=timeout)


def complete(url, model, prompt, max_tokens, stream=False, extra=None):
    body = {"model": model, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0, "stream": stream}
    body.update(extra or {})
    c = connection(url)
    c.request("POST", "/v1/completions", json.dumps(body), {"Content-Type": "application/json"})
    return c, c.getresponse()


def text_of(url, model, prompt, max_tokens):
    c, r = complete(url, model, prompt, max_tokens)
    data = json.loads(r.read())
    c.close()
    return data["choices"][0]["text"]


def stream_times(url, model, prompt, max_tokens, out, stop_after=None, extra=None):
    """Streams a completion; appends arrival times of text chunks to `out`. Closes early after `stop_after` chunks."""
    c, r = complete(url, model, prompt, max_tokens, stream=True, extra=extra)
    count = 0
    for raw in r:
        line = raw.decode().strip()
        if not line.startswith("data:") or line == "data: [DONE]":
            continue
        event = json.loads(line[5:])
        if any(choice.get("text") for choice in event.get("choices", [])):
            out.append(time.perf_counter())
            count += 1
            if stop_after and count >= stop_after:
                c.sock.shutdown(socket.SHUT_RDWR)
                c.close()
                return
    c.close()


def metric(url, name):
    c = connection(url)
    c.request("GET", "/metrics")
    body = c.getresponse().read().decode()
    c.close()
    values = [float(line.split()[-1]) for line in body.splitlines() if line.startswith(name) and not line.startswith("#")]
    return sum(values) if values else None


def prompt(i, n=12):
    return "List: " + " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(n))


def check_invariance(args):
    prompts = [prompt(i) for i in range(16)]
    alone = [text_of(args.url, args.model, p, 32) for p in prompts]
    results = [None] * 16

    def run(i):
        results[i] = text_of(args.url, args.model, prompts[i], 32)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(16)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    same = sum(a == b for a, b in zip(alone, results))
    print(f"invariance: {same}/16 concurrent greedy completions identical to running alone")
    return same == 16


def itl(times):
    return [b - a for a, b in zip(times, times[1:])]


def check_stall(args):
    streams = [[] for _ in range(15)]
    threads = [threading.Thread(target=stream_times, args=(args.url, args.model, prompt(i), 160, streams[i], None,
                                                            {"ignore_eos": True})) for i in range(15)]
    [t.start() for t in threads]
    time.sleep(3.0)
    long_prompt = " ".join(WORDS[k % len(WORDS)] for k in range(args.long_prompt_words))
    arrival = time.perf_counter()
    big = []
    big_thread = threading.Thread(target=stream_times, args=(args.url, args.model, long_prompt, 8, big))
    big_thread.start()
    [t.join() for t in threads]
    big_thread.join()
    gaps = [g for s in streams for g in itl(s)]
    gaps.sort()
    median, p99 = statistics.median(gaps), gaps[int(0.99 * (len(gaps) - 1))]
    worst = max(gaps)
    ttft = (big[0] - arrival) if big else float("nan")
    ok = p99 < 3 * median
    print(f"stall: 15 streams' ITL median {median * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms (ratio {p99 / median:.2f}, "
          f"limit 3), max {worst * 1000:.1f} ms; 2000-token prompt's TTFT {ttft:.2f} s")
    return ok


def check_drop(args):
    def decode_rate():
        times = []
        stream_times(args.url, args.model, prompt(99), 48, times, None, {"ignore_eos": True})
        return (len(times) - 1) / (times[-1] - times[0])

    idle = decode_rate()
    threads = [threading.Thread(target=stream_times, args=(args.url, args.model, prompt(i), 400, [], 5,
                                                            {"ignore_eos": True})) for i in range(16)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    dropped_at = time.perf_counter()
    times = []
    stream_times(args.url, args.model, prompt(98), 48, times, None, {"ignore_eos": True})
    first_token = times[0] - dropped_at
    rate = (len(times) - 1) / (times[-1] - times[0])
    running = metric(args.url, "serve_num_requests_running")
    ok = first_token < 1.0 and rate > 0.7 * idle and (running or 0) == 0
    print(f"drop: idle decode {idle:.1f} tok/s; after dropping 16 streams a new request's first token in "
          f"{first_token * 1000:.0f} ms, decoding at {rate:.1f} tok/s; num_requests_running = {running}")
    return ok


def wait_until_healthy(url, seconds=600):
    """The server may still be loading (or fetching) its model: poll /health instead of failing every check."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            c = connection(url, timeout=5)
            c.request("GET", "/health")
            if c.getresponse().status == 200:
                return True
        except OSError:
            pass
        time.sleep(1)
    print(f"no healthy server at {url} after {seconds} s")
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--model", default="smol-135m")
    parser.add_argument("--only", default="invariance,stall,drop")
    parser.add_argument("--long-prompt-words", type=int, default=1280, help="stall check: ~2000 tokens with SmolLM2's tokenizer")
    args = parser.parse_args()
    if not wait_until_healthy(args.url):
        return 1
    checks = {"invariance": check_invariance, "stall": check_stall, "drop": check_drop}
    results = [checks[name](args) for name in args.only.split(",")]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
