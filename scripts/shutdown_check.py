#!/usr/bin/env python3
"""SIGTERM with streams in flight: every stream ends with a proper last event, the server exits 0. Stdlib only.

  swift build -c release --product serve
  python3 scripts/shutdown_check.py --serve .build/release/serve --model weights/smol-135m --grace 2

Starts `serve --shutdown-grace G`, opens 4 streams of 1000 tokens, sends SIGTERM once each has streamed a token,
and checks: each stream ends with `data: [DONE]` after either a finish_reason or an error event (shutting_down);
a request sent after SIGTERM is refused (503, or the connection is closed); the process exits with status 0 within
the grace period plus a few seconds.
"""
import argparse
import http.client
import json
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import compare_llama  # noqa: E402  (free_port, http_json)
import load  # noqa: E402  (sse_data)


def stream(port, model, out, started):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    body = {"model": model, "prompt": "Count to one thousand: 1, 2, 3,", "max_tokens": 1000, "ignore_eos": True,
            "stream": True}
    connection.request("POST", "/v1/completions", json.dumps(body), {"Content-Type": "application/json"})
    response = connection.getresponse()
    events, done = [], False
    for data in load.sse_data(response):
        if data == "[DONE]":
            done = True
            break
        events.append(json.loads(data))
        started.set()
    out.append((response.status, events, done))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--grace", type=float, default=2)
    args = parser.parse_args()
    port = compare_llama.free_port()
    server = subprocess.Popen([args.serve, "--model", args.model, "--port", str(port), "--shutdown-grace", str(args.grace)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if compare_llama.http_json(f"http://127.0.0.1:{port}", "/health")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    _, models = compare_llama.http_json(f"http://127.0.0.1:{port}", "/v1/models")
    model = models["data"][0]["id"]
    results, threads, flags = [], [], []
    for _ in range(4):
        started = threading.Event()
        thread = threading.Thread(target=stream, args=(port, model, results, started))
        thread.start()
        threads.append(thread)
        flags.append(started)
    for started in flags:
        started.wait(60)
    sent = time.monotonic()
    server.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    try:
        late = compare_llama.http_json(f"http://127.0.0.1:{port}", "/health")[0]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("POST", "/v1/completions", json.dumps({"model": model, "prompt": "Hi", "max_tokens": 2}),
                           {"Content-Type": "application/json"})
        late = connection.getresponse().status
    except (OSError, http.client.HTTPException):
        late = "connection closed"
    for thread in threads:
        thread.join(120)
    status = server.wait(timeout=args.grace + 30)
    elapsed = time.monotonic() - sent
    ok = status == 0 and len(results) == 4 and late in (503, "connection closed")
    for code, events, done in results:
        last = events[-1] if events else {}
        reason = (last.get("choices") or [{}])[0].get("finish_reason") if "choices" in last else None
        error = (last.get("error") or {}).get("code")
        proper = code == 200 and done and (reason is not None or error is not None)
        ok = ok and proper and len(events) > 1
        print(f"stream: HTTP {code}, {len(events)} events, last: {'finish_reason ' + str(reason) if reason else 'error ' + str(error)}, "
              f"[DONE] {'yes' if done else 'NO'}")
    print(f"request after SIGTERM: {late}; exit status {status} after {elapsed:.1f} s (grace {args.grace} s)")
    print("shutdown: OK" if ok else "shutdown: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
