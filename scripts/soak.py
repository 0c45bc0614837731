#!/usr/bin/env python3
"""Soak test: minutes of mixed traffic against our server, failing on anything a client should never see.

  swift build -c release --product serve
  python3 scripts/soak.py --serve .build/release/serve --model weights/smol-135m --minutes 30 -c 24

Starts `serve` (or uses --url and --pid of a running one) and keeps -c clients busy with a mix: streaming and whole
responses, chat and completions, random sampling parameters (temperature, top_p, top_k, min_p, penalties, seed, n,
stop, logprobs, logit_bias, response_format json_object), 30% of streams dropped part-way, and one malformed request
in ten (bad JSON, wrong types, out-of-range values, unknown model). Fails on any 5xx, any response that is not what
OpenAI's shapes say (a 200 without choices, a stream without [DONE] or a last event, a 4xx without an error body, a
malformed request answered 200), a server that is not idle afterwards (/metrics: running 0, waiting 0, KV usage 0)
or resident memory growing more than 5% between the end of the first fifth and the end. Standard library only.
"""
import argparse
import http.client
import json
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_llama  # noqa: E402  (Server, free_port, http_json)
import load  # noqa: E402  (sse_data)

MALFORMED = [
    ("/v1/completions", b'{"prompt": "Hi", "max_tokens": '),
    ("/v1/completions", b'{"prompt": 5}'),
    ("/v1/completions", b'{"prompt": "Hi", "temperature": 9}'),
    ("/v1/completions", b'{"prompt": "Hi", "max_tokens": -3}'),
    ("/v1/completions", b'{"prompt": "Hi", "logit_bias": {"999999": 5}}'),
    ("/v1/chat/completions", b'{"messages": []}'),
    ("/v1/chat/completions", b'{"messages": [{"role": "wizard", "content": "x"}]}'),
    ("/v1/chat/completions", b'{"messages": [{"role": "user", "content": "x"}], "model": "gpt-9"}'),
    ("/v1/chat/completions", b'{"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "xml"}}'),
    ("/v1/chat/completions", b'{"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}]}'),
    ("/v1/completions", b'[' * 200),
]
WORDS = "the of and to in is that for it as with was on be by this are from at or an but not what all were when".split()


class Tally:
    def __init__(self):
        self.lock, self.counts, self.failures = threading.Lock(), {}, []

    def count(self, key):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    def fail(self, message):
        with self.lock:
            self.failures.append(message)


def random_body(rng, model):
    chat = rng.random() < 0.5
    body = {"model": model, "max_tokens": rng.randint(1, 64), "stream": rng.random() < 0.6}
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 120)))
    if chat:
        body["messages"] = [{"role": "user", "content": text}]
    else:
        body["prompt"] = text
    if rng.random() < 0.5:
        body["temperature"] = rng.choice([0, 0.0001, 0.7, 1, 2])
    for key, values in [("top_p", [1e-9, 0.5, 1]), ("top_k", [-1, 0, 1, 40, 100000]), ("min_p", [0, 0.1, 1]),
                        ("presence_penalty", [-2, 0, 2]), ("frequency_penalty", [-2, 2]), ("seed", [0, 7, -5]),
                        ("n", [1, 2, 3]), ("repetition_penalty", [1e-9, 1, 100])]:
        if rng.random() < 0.15:
            body[key] = rng.choice(values)
    if rng.random() < 0.1:
        body["stop"] = ["the"]
    elif rng.random() < 0.1:
        body["response_format"] = {"type": "json_object"}
    if rng.random() < 0.1:
        body["logit_bias"] = {str(rng.randint(0, 49151)): rng.choice([-100, 5, 100])}
    if rng.random() < 0.1:
        if chat:
            body["logprobs"], body["top_logprobs"] = True, 2
        else:
            body["logprobs"] = 2
    if body["stream"] and rng.random() < 0.5:
        body["stream_options"] = {"include_usage": True}
    return ("/v1/chat/completions" if chat else "/v1/completions"), body


def one_request(port, rng, model, tally):
    if rng.random() < 0.1:
        path, raw = rng.choice(MALFORMED)
        status, payload = post(port, path, raw)
        tally.count("malformed")
        if not (400 <= status < 500) or not isinstance(payload, dict) or "error" not in payload:
            tally.fail(f"malformed {path} {raw[:60]!r}: HTTP {status} {str(payload)[:200]}")
        return
    path, body = random_body(rng, model)
    raw = json.dumps(body).encode()
    if not body["stream"]:
        status, payload = post(port, path, raw)
        tally.count(f"whole {status}")
        if status >= 500 or (status == 200 and not (isinstance(payload, dict) and payload.get("choices"))) \
                or (status != 200 and not (isinstance(payload, dict) and "error" in payload)):
            tally.fail(f"whole {path}: HTTP {status} {str(payload)[:200]} for {body}")
        return
    drop_after = rng.randint(1, 8) if rng.random() < 0.3 else None
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        connection.request("POST", path, raw, {"Content-Type": "application/json"})
        response = connection.getresponse()
        if response.status != 200:
            payload = response.read()
            tally.count(f"stream {response.status}")
            if response.status >= 500 or b'"error"' not in payload:
                tally.fail(f"stream {path}: HTTP {response.status} {payload[:200]!r}")
            return
        events, done = 0, False
        last = None
        for data in load.sse_data(response):
            if data == "[DONE]":
                done = True
                break
            last = json.loads(data)
            events += 1
            if drop_after is not None and events >= drop_after:
                tally.count("stream dropped")
                return  # closing the connection mid-stream
        tally.count("stream 200")
        finished = last is not None and ("error" in last or last.get("usage") or any(
            c.get("finish_reason") for c in last.get("choices", [])))
        if not done or not finished:
            tally.fail(f"stream {path}: {events} events, [DONE] {done}, last {str(last)[:200]} for {body}")
        elif "error" in last:
            tally.fail(f"stream {path} ended with an error event: {last}")
    except (OSError, http.client.HTTPException, ValueError) as error:
        tally.fail(f"stream {path}: {type(error).__name__}: {error}")
    finally:
        connection.close()


def post(port, path, raw):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        connection.request("POST", path, raw, {"Content-Type": "application/json"})
        response = connection.getresponse()
        payload = response.read()
        try:
            return response.status, json.loads(payload)
        except ValueError:
            return response.status, payload
    finally:
        connection.close()


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


def metric(port, name):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/metrics")
    for line in connection.getresponse().read().decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve")
    parser.add_argument("--model")
    parser.add_argument("--url")
    parser.add_argument("--pid", type=int, help="with --url: the server's process id, for its memory")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("-c", "--concurrency", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    server = None
    if args.url:
        port, pid = int(args.url.rsplit(":", 1)[1]), args.pid
    else:
        port = compare_llama.free_port()
        server = compare_llama.Server("serve", [args.serve, "--model", args.model, "--port", str(port)], port, "/tmp")
        server.wait_ready(600)
        pid = server.process.pid
    model = compare_llama.http_json(f"http://127.0.0.1:{port}", "/v1/models", timeout=60)[1]["data"][0]["id"]
    tally = Tally()
    deadline = time.monotonic() + args.minutes * 60
    fifth_at = time.monotonic() + args.minutes * 12
    rss = {}

    def client(index):
        rng = random.Random(args.seed * 1000 + index)
        while time.monotonic() < deadline:
            one_request(port, rng, model, tally)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.concurrency)]
    for thread in threads:
        thread.start()
    while time.monotonic() < deadline:
        time.sleep(1)
        if "fifth" not in rss and time.monotonic() >= fifth_at and pid:
            rss["fifth"] = rss_kib(pid)
    for thread in threads:
        thread.join()
    time.sleep(2)
    running, waiting = metric(port, "serve_num_requests_running"), metric(port, "serve_num_requests_waiting")
    usage = metric(port, "serve_kv_cache_usage_perc")
    rss["end"] = rss_kib(pid) if pid else None
    if server:
        server.stop()

    growth = (rss["end"] / rss["fifth"] - 1) if rss.get("fifth") and rss.get("end") else None
    print(f"{args.minutes:g} min at c={args.concurrency}: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.counts.items())))
    print(f"after: running {running}, waiting {waiting}, KV usage {usage}; RSS {rss.get('fifth')} KiB at 1/5, "
          f"{rss.get('end')} KiB at the end ({'-' if growth is None else f'{growth:+.1%}'})")
    for failure in tally.failures[:20]:
        print("FAIL", failure)
    problems = [f"{len(tally.failures)} failures"] if tally.failures else []
    if running != 0 or waiting != 0 or usage != 0:
        problems.append("not idle after")
    if growth is not None and growth >= 0.05:
        # A run of a few minutes is still touching the KV pool's pages in its first fifth; run it for long.
        problems.append(f"RSS grew {growth:.1%}")
    print(f"soak: {'FAILED: ' + ', '.join(problems) if problems else 'OK'}")
    ok = not problems
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
