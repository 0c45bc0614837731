#!/usr/bin/env python3
"""Speculative-decoding benchmark: extractive chat tasks against a running OpenAI-compatible server.

Standard library only. Sends every task of scripts/spec_prompts.json (quote, repeat or lightly edit a
passage; fix a bug in a small function) closed-loop at -c N, streaming with include_usage, greedy unless
--temperature. Reports output tok/s, mean per-request decode tok/s ((output tokens - 1) / (e2e - TTFT)),
TTFT p50 and, from /metrics scraped before and after, the speculation counters: drafts, draft tokens,
accepted tokens, acceptance rate (accepted / draft tokens), accepted tokens per draft and per-position
acceptance (accepted at position k / drafts). Each request's line also shows `copy`: difflib's ratio of
its text against the task's `original` (how much the model actually copies; speculation gains depend on it).

  python3 scripts/spec_bench.py --url http://127.0.0.1:8080                     # c=1, greedy, max_tokens 320
  python3 scripts/spec_bench.py -c 16 --repeat 2 --json ngram.json --save-outputs ngram.txt
  python3 scripts/spec_bench.py --prediction --json pred.json                   # Predicted Outputs: prediction = original
  python3 scripts/spec_bench.py --only repeat-psalm23,fix-average -v            # a few tasks, print their text
  python3 scripts/spec_bench.py --metrics-snapshot before.json                  # just save /metrics counters
  python3 scripts/spec_compare.py off.json ngram.json                           # speedup, identical outputs?
"""
import argparse
import difflib
import http.client
import json
import os
import re
import statistics
import sys
import threading
import time
import urllib.parse

from load import closed_loop, sse_events  # scripts/load.py, beside this file

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC_PREFIX = "serve_spec_decode_"
METRIC_LINE = re.compile(r'^([A-Za-z_:][A-Za-z0-9_:]*)(\{[^}]*\})?\s+(\S+)')
LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')


def connect(url, timeout):
    parsed = urllib.parse.urlparse(url)
    return parsed, http.client.HTTPConnection(parsed.hostname, parsed.port or 80, timeout=timeout)


def scrape_metrics(url, timeout=30):
    """The server's spec-decode counters: {name: value} plus {name{position="k"}: value}; None if /metrics fails."""
    try:
        parsed, connection = connect(url, timeout)
        connection.request("GET", parsed.path.rstrip("/") + "/metrics")
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        connection.close()
        if response.status != 200:
            return None
    except Exception:
        return None
    values = {}
    for line in body.splitlines():
        match = METRIC_LINE.match(line)
        if not match or not match.group(1).startswith(SPEC_PREFIX):
            continue
        name, labels, value = match.groups()
        try:
            number = float(value)
        except ValueError:
            continue
        position = dict(LABEL.findall(labels or "")).get("position")
        key = f'{name}{{position="{position}"}}' if position is not None else name
        values[key] = values.get(key, 0.0) + number
    return values


def spec_summary(before, after):
    """Speculation counters between two scrapes, or None when the server exports none."""
    if not after or not any(k.startswith(SPEC_PREFIX + "num_draft") for k in after):
        return None
    before = before or {}
    delta = lambda key: after.get(key, 0.0) - before.get(key, 0.0)
    drafts = delta(SPEC_PREFIX + "num_drafts_total")
    draft_tokens = delta(SPEC_PREFIX + "num_draft_tokens_total")
    accepted = delta(SPEC_PREFIX + "num_accepted_tokens_total")
    per_pos = {}
    for key in after:
        match = re.match(re.escape(SPEC_PREFIX) + r'num_accepted_tokens_per_pos_total\{position="(\d+)"\}$', key)
        if match:
            per_pos[int(match.group(1))] = delta(key)
    return {
        "drafts": drafts, "draft_tokens": draft_tokens, "accepted_tokens": accepted,
        "acceptance_rate": accepted / draft_tokens if draft_tokens else None,
        "accepted_per_draft": accepted / drafts if drafts else None,
        # vLLM's "mean acceptance length": tokens a verify step yields, the bonus token included.
        "mean_acceptance_length": 1 + accepted / drafts if drafts else None,
        "per_position_acceptance": [per_pos[k] / drafts if drafts else None for k in sorted(per_pos)],
        "per_position_accepted": [per_pos[k] for k in sorted(per_pos)],
    }


def copy_ratio(text, original):
    """difflib ratio of the output against the original (1.0 = identical), ignoring code fences and edge space."""
    stripped = re.sub(r"^```[A-Za-z]*\n|\n?```\s*$", "", text.strip()).strip()
    return difflib.SequenceMatcher(None, stripped, original.strip(), autojunk=False).ratio()


def tokenize_count(url, model, text, timeout):
    try:
        parsed, connection = connect(url, timeout)
        connection.request("POST", parsed.path.rstrip("/") + "/tokenize",
                           json.dumps({"model": model, "prompt": text, "add_special_tokens": False}),
                           {"Content-Type": "application/json"})
        response = connection.getresponse()
        data = json.loads(response.read())
        connection.close()
        return data.get("count") if response.status == 200 else None
    except Exception:
        return None


def served_model(url, timeout):
    try:
        parsed, connection = connect(url, timeout)
        connection.request("GET", parsed.path.rstrip("/") + "/v1/models")
        data = json.loads(connection.getresponse().read())
        connection.close()
        return data["data"][0]["id"]
    except Exception:
        return "smol-135m"


class Result:
    __slots__ = ("id", "kind", "repeat", "ok", "error", "ttft", "e2e", "output_tokens", "prompt_tokens", "text",
                 "accepted_prediction", "rejected_prediction", "finish_reason", "chunks", "copy")

    def __init__(self, entry, repeat):
        self.id, self.kind, self.repeat = entry["id"], entry.get("kind"), repeat
        self.ok, self.error, self.ttft, self.e2e, self.text, self.finish_reason = False, None, None, None, "", None
        self.output_tokens = self.prompt_tokens = self.chunks = 0
        self.accepted_prediction = self.rejected_prediction = self.copy = None

    def decode_tok_s(self):
        if not self.ok or self.output_tokens < 2 or self.e2e <= self.ttft:
            return None
        return (self.output_tokens - 1) / (self.e2e - self.ttft)


def run_request(args, entry, repeat):
    result = Result(entry, repeat)
    body = {"model": args.model, "messages": entry["messages"], "max_tokens": args.max_tokens, "stream": True,
            "temperature": args.temperature, "stream_options": {"include_usage": True}}
    if args.seed is not None:
        body["seed"] = args.seed
    if args.prediction:
        body["prediction"] = {"type": "content", "content": entry["original"]}
    parts = []
    started = time.perf_counter()
    try:
        parsed, connection = connect(args.url, args.timeout)
        connection.request("POST", parsed.path.rstrip("/") + "/v1/chat/completions", json.dumps(body),
                           {"Content-Type": "application/json"})
        response = connection.getresponse()
        if response.status != 200:
            result.error = f"HTTP {response.status}: {response.read()[:200]!r}"
            return result
        for event in sse_events(response):
            usage = event.get("usage")
            if usage:
                result.output_tokens = usage.get("completion_tokens", 0)
                result.prompt_tokens = usage.get("prompt_tokens", 0)
                details = usage.get("completion_tokens_details") or {}
                result.accepted_prediction = details.get("accepted_prediction_tokens")
                result.rejected_prediction = details.get("rejected_prediction_tokens")
            for choice in event.get("choices") or []:
                if choice.get("finish_reason"):
                    result.finish_reason = choice["finish_reason"]
                text = (choice.get("delta") or {}).get("content")
                if text:
                    if result.ttft is None:
                        result.ttft = time.perf_counter() - started
                    parts.append(text)
                    result.chunks += 1
        result.e2e = time.perf_counter() - started
        connection.close()
        result.text = "".join(parts)
        result.output_tokens = result.output_tokens or result.chunks
        result.ok = result.ttft is not None
        if not result.ok:
            result.error = "no tokens streamed"
        result.copy = copy_ratio(result.text, entry["original"])
    except Exception as error:  # a benchmark reports failures, it doesn't stop on them
        result.error = f"{type(error).__name__}: {error}"
    return result


def pick(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--model", help="model id to send (default: the first of the server's /v1/models)")
    parser.add_argument("--prompts", default=os.path.join(HERE, "spec_prompts.json"))
    parser.add_argument("--only", help="comma-separated task ids (or kinds: repeat, quote, edit, fix) to run")
    parser.add_argument("-c", "--concurrency", type=int, default=1, help="closed loop: clients in flight")
    parser.add_argument("--repeat", type=int, default=1, help="run the task set this many times")
    parser.add_argument("--max-tokens", type=int, default=320)
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--seed", type=int, help="sent as the request's seed (for --temperature > 0)")
    parser.add_argument("--prediction", action="store_true",
                        help="send each task's original as prediction {type: content} (OpenAI Predicted Outputs)")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--label", help="a name for this run in the summary (e.g. the server's --spec mode)")
    parser.add_argument("--json", help="write the summary (per-request texts included) to this file ('-' for stdout)")
    parser.add_argument("--save-outputs", help="write each request's text to this file, for diffing across modes")
    parser.add_argument("--metrics-snapshot", metavar="FILE",
                        help="only save the server's spec-decode counters to FILE as JSON and exit")
    parser.add_argument("-q", "--quiet", action="store_true", help="no per-request lines")
    parser.add_argument("-v", "--verbose", action="store_true", help="also print each request's text")
    args = parser.parse_args()

    if args.metrics_snapshot:
        snapshot = scrape_metrics(args.url)
        with open(args.metrics_snapshot, "w") as f:
            json.dump(snapshot, f, indent=1)
        return 0 if snapshot is not None else 1

    args.model = args.model or served_model(args.url, args.timeout)
    with open(args.prompts) as f:
        entries = json.load(f)
    if args.only:
        wanted = set(args.only.split(","))
        entries = [e for e in entries if e["id"] in wanted or e.get("kind") in wanted]
    jobs = [(entry, r) for r in range(args.repeat) for entry in entries]
    if not jobs:
        print("no tasks selected", file=sys.stderr)
        return 2

    prediction_tokens = None
    if args.prediction:
        counts = [tokenize_count(args.url, args.model, entry["original"], args.timeout) for entry, _ in jobs]
        prediction_tokens = sum(counts) if all(c is not None for c in counts) else None

    results, lock = [], threading.Lock()

    def one(*job):
        result = run_request(args, *job)
        with lock:
            results.append(result)
            if not args.quiet:
                print_request(result, args)

    before = scrape_metrics(args.url)
    started = time.perf_counter()
    closed_loop(jobs, args.concurrency, one)
    elapsed = time.perf_counter() - started
    after = scrape_metrics(args.url)

    order = {(entry["id"], r): i for i, (entry, r) in enumerate(jobs)}
    results.sort(key=lambda r: order[(r.id, r.repeat)])
    ok = [r for r in results if r.ok]
    errors = [f"{r.id}: {r.error}" for r in results if not r.ok]
    output_tokens = sum(r.output_tokens for r in ok)
    decode_rates = [d for d in (r.decode_tok_s() for r in ok) if d is not None]
    summary = {
        "label": args.label, "url": args.url, "prompts": os.path.basename(args.prompts),
        "concurrency": args.concurrency, "repeat": args.repeat, "max_tokens": args.max_tokens,
        "temperature": args.temperature, "prediction": args.prediction,
        "requests": len(results), "completed": len(ok), "errors": len(errors), "error_samples": errors[:5],
        "duration_s": elapsed, "output_tokens": output_tokens,
        "output_tok_per_s": output_tokens / elapsed if elapsed > 0 else 0,
        "mean_decode_tok_per_s": statistics.fmean(decode_rates) if decode_rates else None,
        "ttft_p50_s": pick([r.ttft for r in ok], 0.5),
        "mean_copy_ratio": statistics.fmean(r.copy for r in ok) if ok else None,
        "spec": spec_summary(before, after),
    }
    if args.prediction:
        accepted = [r.accepted_prediction for r in ok]
        rejected = [r.rejected_prediction for r in ok]
        summary["prediction_usage"] = {
            "accepted_prediction_tokens": sum(a for a in accepted if a is not None),
            "rejected_prediction_tokens": sum(x for x in rejected if x is not None),
            "requests_reporting": sum(1 for a, x in zip(accepted, rejected) if a is not None and x is not None),
            "prediction_tokens": prediction_tokens,
        }
    summary["results"] = [
        {"id": r.id, "kind": r.kind, "repeat": r.repeat, "ok": r.ok, "error": r.error, "ttft_s": r.ttft,
         "e2e_s": r.e2e, "output_tokens": r.output_tokens, "prompt_tokens": r.prompt_tokens,
         "decode_tok_per_s": r.decode_tok_s(), "finish_reason": r.finish_reason, "copy_ratio": r.copy,
         "accepted_prediction_tokens": r.accepted_prediction, "rejected_prediction_tokens": r.rejected_prediction,
         "text": r.text}
        for r in results]

    print_summary(summary)
    if args.save_outputs:
        with open(args.save_outputs, "w") as f:
            for r in results:
                f.write(f"===== {r.id} #{r.repeat}{'' if r.ok else ' ERROR ' + str(r.error)}\n{r.text}\n")
    if args.json:
        text = json.dumps(summary, indent=1, ensure_ascii=False)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w") as f:
                f.write(text + "\n")
    return 1 if errors and not ok else 0


def print_request(r, args):
    if not r.ok:
        print(f"  {r.id:22} #{r.repeat} ERROR {r.error}", flush=True)
        return
    decode = r.decode_tok_s()
    line = (f"  {r.id:22} #{r.repeat} {r.output_tokens:4d} tok  TTFT {r.ttft * 1000:6.0f} ms  "
            f"decode {decode or 0:6.1f} tok/s  copy {r.copy:.2f}  {r.finish_reason}")
    if args.prediction:
        line += f"  prediction accepted/rejected {r.accepted_prediction}/{r.rejected_prediction}"
    print(line, flush=True)
    if args.verbose:
        print("    | " + r.text.replace("\n", "\n    | "), flush=True)


def print_summary(s):
    fmt = lambda v, spec="{:.1f}": "-" if v is None else spec.format(v)
    print(f"{s['label'] or 'spec_bench'}: c={s['concurrency']} {s['completed']}/{s['requests']} ok, "
          f"{s['errors']} errors, {s['duration_s']:.1f} s{', prediction' if s['prediction'] else ''}")
    print(f"  output {s['output_tokens']} tok, {s['output_tok_per_s']:.1f} tok/s; mean decode "
          f"{fmt(s['mean_decode_tok_per_s'])} tok/s per request; TTFT p50 {fmt(s['ttft_p50_s'] and s['ttft_p50_s'] * 1000, '{:.0f}')} ms; "
          f"mean copy ratio {fmt(s['mean_copy_ratio'], '{:.2f}')}")
    spec = s["spec"]
    if spec is None:
        print("  no spec metrics")
    else:
        print(f"  drafts {spec['drafts']:.0f}, draft tokens {spec['draft_tokens']:.0f}, accepted {spec['accepted_tokens']:.0f}; "
              f"acceptance {fmt(spec['acceptance_rate'], '{:.3f}')}, accepted per draft {fmt(spec['accepted_per_draft'], '{:.2f}')} "
              f"(mean acceptance length {fmt(spec['mean_acceptance_length'], '{:.2f}')})")
        if spec["per_position_acceptance"]:
            print("  per position: " + " ".join(f"{k}:{fmt(v, '{:.2f}')}" for k, v in enumerate(spec["per_position_acceptance"])))
    usage = s.get("prediction_usage")
    if usage:
        total = usage["accepted_prediction_tokens"] + usage["rejected_prediction_tokens"]
        print(f"  usage: accepted_prediction_tokens {usage['accepted_prediction_tokens']}, rejected_prediction_tokens "
              f"{usage['rejected_prediction_tokens']} (sum {total}; {usage['requests_reporting']}/{s['completed']} "
              f"requests reported them); prediction tokens offered (tokenized) {usage['prediction_tokens']}"
              + (f"; metrics draft tokens {spec['draft_tokens']:.0f}" if spec else ""))
    for error in s["error_samples"]:
        print(f"  error: {error}")


if __name__ == "__main__":
    sys.exit(main())
