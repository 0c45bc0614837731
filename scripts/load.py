#!/usr/bin/env python3
"""Load generator for any OpenAI-compatible server (ours, llama.cpp's llama-server, vLLM).

Standard library only. Streams every request (SSE) and measures, per request, time to first token
(TTFT), inter-token latency (ITL: gaps between streamed chunks that carry text) and end-to-end latency.

  # closed loop: 16 clients, each sending its next request when the last one finishes
  python3 scripts/load.py --url http://127.0.0.1:8080 -c 16 --requests 64 --prompt-tokens 128 --output-tokens 128
  # open loop: Poisson arrivals at 4 requests/s for 30 s, dataset-like lengths
  python3 scripts/load.py --rate 4 --duration 30 --lengths dataset
  # machine-readable result
  python3 scripts/load.py -c 4 --requests 16 --json result.json

Prefix caching. When the server reports usage.prompt_tokens_details.cached_tokens (llama-server does; vLLM with
--enable-prompt-tokens-details), the summary adds the prompt tokens served from cache and their share ("-" if not).

  # every prompt: the same ~1000-token system prompt (seeded by --seed; with --chat a system message), then its
  # own 32-token question
  python3 scripts/load.py -c 8 --requests 64 --shared-prefix-tokens 1000 --prompt-tokens 32 --chat
  # 16 conversations of 8 turns on 4 clients: each turn resends the system prompt, the earlier questions and the
  # server's replies, plus a new question; TTFT per turn stays flat if the history is reused, grows if recomputed
  python3 scripts/load.py -c 4 --requests 16 --multi-turn 8 --shared-prefix-tokens 200 --prompt-tokens 32 \\
      --output-tokens 64 --json -
"""
import argparse
import http.client
import json
import random
import statistics
import sys
import threading
import time
import urllib.parse

WORDS = ("time year people way day man thing woman life child world school state family student group country "
         "problem hand part place case week company system program question work government number night point "
         "home water room mother area money story fact month lot right study book eye job word business issue "
         "side kind head house service friend father power hour game line end member law car city community name").split()


def make_prompt(rng, num_tokens):
    # Common English words are about one token each, with their leading space.
    return "Continue this list: " + " ".join(rng.choice(WORDS) for _ in range(max(1, num_tokens - 5)))


def make_system_prompt(seed, num_tokens):
    # Its own generator: the prefix depends on --seed alone, so every request (and a rerun against another server)
    # starts with the very same text, which is what a prefix cache can reuse.
    rng = random.Random(f"shared-prefix:{seed}")
    words = " ".join(rng.choice(WORDS) for _ in range(max(1, num_tokens - 15)))
    return f"You are a helpful assistant. Use this reference list when you answer: {words}."


def make_question(rng, num_tokens):
    # The per-request part after a shared prefix: worded unlike the prefix, so it can't extend the shared match.
    return "Which of these words matters most here, and why: " + " ".join(
        rng.choice(WORDS) for _ in range(max(1, num_tokens - 12))) + "?"


def make_request_prompt(args, system, rng, num_tokens):
    """A request's prompt: make_prompt's list, or with a shared prefix that prefix followed by a question."""
    if system is None:
        return make_prompt(rng, num_tokens)
    question = make_question(rng, num_tokens)
    if args.chat:
        return [{"role": "system", "content": system}, {"role": "user", "content": question}]
    return system + "\n\n" + question


def sample_lengths(rng, args):
    if args.lengths == "fixed":
        return args.prompt_tokens, args.output_tokens
    # Dataset-like: log-normal around the given means, clipped (ShareGPT-style skew).
    prompt = int(min(max(rng.lognormvariate(0, 0.8) * args.prompt_tokens, 4), 4 * args.prompt_tokens))
    output = int(min(max(rng.lognormvariate(0, 0.8) * args.output_tokens, 4), 4 * args.output_tokens))
    return prompt, output


class Result:
    __slots__ = ("ok", "error", "ttft", "itls", "e2e", "output_tokens", "prompt_tokens", "start", "text",
                 "cached_tokens", "turn")

    def __init__(self):
        self.ok, self.error, self.ttft, self.itls, self.e2e = False, None, None, [], None
        self.output_tokens, self.prompt_tokens, self.start = 0, 0, 0.0
        # cached_tokens stays None when the server doesn't report it (unknown, not zero).
        self.text, self.cached_tokens, self.turn = "", None, None


def run_request(args, prompt, max_tokens):
    """One streamed request. `prompt` is a string, or a list of chat messages (system prompt, history)."""
    result = Result()
    url = urllib.parse.urlparse(args.url)
    body = {"model": args.model, "max_tokens": max_tokens, "stream": True, "temperature": args.temperature,
            "stream_options": {"include_usage": True}}
    if args.ignore_eos:
        body["ignore_eos"] = True
    if getattr(args, "response_format", None):
        body["response_format"] = args.response_format
    if isinstance(prompt, list):
        path, body["messages"] = "/v1/chat/completions", prompt
    elif args.chat:
        path, body["messages"] = "/v1/chat/completions", [{"role": "user", "content": prompt}]
    else:
        path, body["prompt"] = "/v1/completions", prompt
    result.start = time.perf_counter()
    try:
        connection = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=args.timeout)
        connection.request("POST", url.path.rstrip("/") + path, json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        if response.status != 200:
            result.error = f"HTTP {response.status}: {response.read()[:200]!r}"
            return result
        last = None
        chunks, pieces = 0, []
        for event in sse_events(response):
            if event.get("usage"):
                result.output_tokens = event["usage"].get("completion_tokens", 0)
                result.prompt_tokens = event["usage"].get("prompt_tokens", 0)
                # vLLM sends prompt_tokens_details: null unless asked to report it; treat that as unknown.
                details = event["usage"].get("prompt_tokens_details") or {}
                if details.get("cached_tokens") is not None:
                    result.cached_tokens = details["cached_tokens"]
            for choice in event.get("choices") or []:
                text = choice.get("text") if "text" in choice else (choice.get("delta") or {}).get("content")
                if text:
                    now = time.perf_counter()
                    if last is None:
                        result.ttft = now - result.start
                    else:
                        result.itls.append(now - last)
                    last = now
                    chunks += 1
                    pieces.append(text)
        result.e2e = time.perf_counter() - result.start
        result.text = "".join(pieces)
        result.output_tokens = result.output_tokens or chunks
        result.ok = result.ttft is not None
        if not result.ok:
            result.error = "no tokens streamed"
        connection.close()
    except Exception as error:  # a load tool reports failures, it doesn't stop on them
        result.error = f"{type(error).__name__}: {error}"
    return result


def make_turns(rng, args):
    # Drawn up front on the main thread, like the closed loop's prompts: a seed gives the same questions at any -c.
    return [(make_question(rng, p), o) for p, o in (sample_lengths(rng, args) for _ in range(args.multi_turn))]


def run_conversation(args, system, turns):
    """One chat: each turn resends the history so far (with the replies the server gave) plus a new question."""
    history = [] if system is None else [{"role": "system", "content": system}]
    results = []
    for turn, (question, max_tokens) in enumerate(turns, 1):
        history.append({"role": "user", "content": question})
        result = run_request(args, history, max_tokens)
        result.turn = turn
        results.append(result)
        if not result.ok:
            break  # later turns would need a reply the server never gave
        history.append({"role": "assistant", "content": result.text})
    return results


def closed_loop(jobs, concurrency, work):
    """Runs `work(*job)` for every job on `concurrency` client threads, each taking the next job when done."""
    cursor, cursor_lock = iter(jobs), threading.Lock()

    def client():
        while True:
            with cursor_lock:
                job = next(cursor, None)
            if job is None:
                return
            work(*job)

    threads = [threading.Thread(target=client) for _ in range(max(1, concurrency))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def sse_data(response):
    """The data of each SSE event, as text, up to and including "[DONE]"."""
    for raw in response:
        line = raw.decode("utf-8").strip()
        if line.startswith("data:"):
            data = line[5:].strip()
            yield data
            if data == "[DONE]":
                return


def sse_events(response):
    """The JSON events of an OpenAI-style SSE stream, up to `data: [DONE]`."""
    for data in sse_data(response):
        if data == "[DONE]":
            return
        yield json.loads(data)


def percentiles(values):
    if not values:
        return {"p50": None, "p90": None, "p99": None, "mean": None}
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return {"p50": pick(0.50), "p90": pick(0.90), "p99": pick(0.99), "mean": statistics.fmean(ordered)}


def cache_totals(results):
    """Cached prompt tokens and their share of the prompt tokens, over the results whose server reported them."""
    reporting = [r for r in results if r.cached_tokens is not None]
    if not reporting:
        return None, None
    cached, prompt = sum(r.cached_tokens for r in reporting), sum(r.prompt_tokens for r in reporting)
    return cached, (cached / prompt if prompt else None)


def ttft_by_turn(results, turns):
    """TTFT per turn index: flat when the growing history comes from cache, growing with it when it's recomputed."""
    rows = []
    for turn in range(1, turns + 1):
        mine = [r for r in results if r.turn == turn]
        ttft = percentiles([r.ttft for r in mine])
        rows.append({"turn": turn, "requests": len(mine), "p50": ttft["p50"], "mean": ttft["mean"],
                     "prompt_tokens_p50": percentiles([r.prompt_tokens for r in mine if r.prompt_tokens])["p50"],
                     "cached_share": cache_totals(mine)[1]})
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--model", default="smol-135m")
    parser.add_argument("-c", "--concurrency", type=int, default=1, help="closed loop: clients in flight")
    parser.add_argument("--rate", type=float, help="open loop: Poisson arrivals per second (overrides -c)")
    parser.add_argument("--requests", type=int, default=32,
                        help="requests to send (closed loop, or open loop without --duration); "
                             "with --multi-turn, conversations")
    parser.add_argument("--duration", type=float, help="open loop: seconds to keep arriving")
    parser.add_argument("--prompt-tokens", type=int, default=128)
    parser.add_argument("--output-tokens", type=int, default=128)
    parser.add_argument("--lengths", choices=["fixed", "dataset"], default="fixed")
    parser.add_argument("--ignore-eos", action=argparse.BooleanOptionalAction, default=True, help="fixed work per request")
    parser.add_argument("--chat", action="store_true", help="use /v1/chat/completions")
    parser.add_argument("--shared-prefix-tokens", type=int, default=0, metavar="N",
                        help="start every prompt with the same ~N-token system prompt (a system message with --chat)")
    parser.add_argument("--multi-turn", type=int, default=0, metavar="T",
                        help="chat conversations of T turns, each resending the history (implies --chat, closed loop)")
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--response-format", metavar="json_object|FILE",
                        help="constrain every request: json_object, or a file holding a JSON Schema (json_schema)")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the summary as JSON to this file ('-' for stdout)")
    args = parser.parse_args()
    if args.response_format == "json_object":
        args.response_format = {"type": "json_object"}
    elif args.response_format:
        with open(args.response_format) as f:
            args.response_format = {"type": "json_schema", "json_schema": {"name": "load", "schema": json.load(f)}}
    if args.multi_turn > 0:
        if args.rate:
            parser.error("--multi-turn runs a closed loop over conversations (-c clients); drop --rate")
        args.chat = True  # a history of user and assistant messages only exists in chat

    rng = random.Random(args.seed)
    system = make_system_prompt(args.seed, args.shared_prefix_tokens) if args.shared_prefix_tokens > 0 else None
    results, lock = [], threading.Lock()

    def one(prompt, max_tokens):
        result = run_request(args, prompt, max_tokens)
        with lock:
            results.append(result)

    started = time.perf_counter()
    if args.multi_turn > 0:
        def talk(turns):
            conversation = run_conversation(args, system, turns)
            with lock:
                results.extend(conversation)

        conversations = [(make_turns(rng, args),) for _ in range(args.requests)]
        closed_loop(conversations, args.concurrency, talk)
    elif args.rate:
        threads, deadline, sent = [], started + (args.duration or float("inf")), 0
        next_arrival = started
        while (args.duration and next_arrival < deadline) or (not args.duration and sent < args.requests):
            time.sleep(max(0.0, next_arrival - time.perf_counter()))
            prompt_tokens, output_tokens = sample_lengths(rng, args)
            prompt = make_request_prompt(args, system, rng, prompt_tokens)
            thread = threading.Thread(target=one, args=(prompt, output_tokens))
            thread.start()
            threads.append(thread)
            sent += 1
            next_arrival += rng.expovariate(args.rate)
        for thread in threads:
            thread.join()
    else:
        jobs = [sample_lengths(rng, args) for _ in range(args.requests)]
        prompts = [(make_request_prompt(args, system, rng, p), o) for p, o in jobs]
        closed_loop(prompts, args.concurrency, one)
    elapsed = time.perf_counter() - started

    ok = [r for r in results if r.ok]
    errors = [r.error for r in results if not r.ok]
    output_tokens = sum(r.output_tokens for r in ok)
    cached_tokens, cached_share = cache_totals(ok)
    mode = f"open loop {args.rate}/s" if args.rate else f"closed loop c={args.concurrency}"
    if args.multi_turn > 0:
        mode += f", {args.requests} conversations of {args.multi_turn} turns"
    if system is not None:
        mode += f", shared prefix ~{args.shared_prefix_tokens} tok"
    summary = {
        "url": args.url, "mode": mode,
        "requests": len(results), "completed": len(ok), "errors": len(errors), "error_samples": errors[:5],
        "duration_s": elapsed, "output_tokens": output_tokens,
        "prompt_tokens": sum(r.prompt_tokens for r in ok),
        "output_tok_per_s": output_tokens / elapsed if elapsed > 0 else 0,
        "requests_per_s": len(ok) / elapsed if elapsed > 0 else 0,
        "ttft_s": percentiles([r.ttft for r in ok]),
        "itl_s": percentiles([gap for r in ok for gap in r.itls]),
        "e2e_s": percentiles([r.e2e for r in ok]),
    }
    # Against a server that doesn't report cached tokens, plain runs print (and write) exactly what they always did.
    show_cache = cached_tokens is not None or system is not None or args.multi_turn > 0
    if show_cache:
        summary["cached_prompt_tokens"], summary["cached_share"] = cached_tokens, cached_share
    if args.multi_turn > 0:
        summary["conversations"] = args.requests
        summary["ttft_by_turn_s"] = ttft_by_turn(ok, args.multi_turn)
    ms = lambda v: "-" if v is None else f"{v * 1000:.1f}"
    tok = lambda v: "-" if v is None else f"{v} tok"
    percent = lambda v: "-" if v is None else f"{v * 100:.1f}%"
    print(f"{summary['mode']}: {len(ok)}/{len(results)} ok, {len(errors)} errors, {elapsed:.1f} s")
    print(f"  output {summary['output_tok_per_s']:.1f} tok/s, {summary['requests_per_s']:.2f} req/s")
    for name in ("ttft_s", "itl_s", "e2e_s"):
        p = summary[name]
        print(f"  {name[:-2].upper():5} ms  p50 {ms(p['p50'])}  p90 {ms(p['p90'])}  p99 {ms(p['p99'])}")
    if show_cache:
        print(f"  prompt {summary['prompt_tokens']} tok, cached {tok(cached_tokens)} ({percent(cached_share)})")
    for row in summary.get("ttft_by_turn_s", []):
        print(f"  turn {row['turn']:2}  TTFT ms  p50 {ms(row['p50'])}  mean {ms(row['mean'])}  n={row['requests']}"
              f"  prompt p50 {tok(row['prompt_tokens_p50'])}  cached {percent(row['cached_share'])}")
    for error in errors[:5]:
        print(f"  error: {error}")
    if args.json:
        text = json.dumps(summary, indent=2)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w") as f:
                f.write(text + "\n")
    return 1 if errors and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
