#!/usr/bin/env python3
"""Our server next to llama.cpp's llama-server, per weight class, on the same load. Standard library only.

For each --class NAME=GGUF (bf16, q8_0, q4_0): start our server with --dtype NAME, run the measurements, stop it;
start llama-server on the GGUF, run the same, stop it. One server at a time (the machine has 2 cores). These VMs drift
by ~10% within minutes, which falls on one side or the other; --interleave N keeps both servers up (each idle while
the other is measured) and alternates identical loads between them, N rounds per concurrency, so it falls on both.

  python3 scripts/compare_llama.py --serve .build/release/serve --model weights/smol-135m \\
      --llama-server ~/llama.cpp/build/bin/llama-server \\
      --class bf16=gguf/smol-135m-bf16.gguf --class q8_0=gguf/smol-135m-q8_0.gguf --class q4_0=gguf/smol-135m-q4_0.gguf \\
      --concurrency 1,4,16,32

Measured, per class and server:
  - throughput: closed loop (scripts/load.py's client) at each concurrency c, c x --rounds requests of a ~128-token
    prompt and exactly --output-tokens streamed tokens (ignore_eos, temperature 0); output tok/s = tokens / wall time.
    llama-server splits its context into -np slots up front: it runs concurrency c with -np max(--llama-min-slots, c)
    (default 16, the issue's -np 16 -c 32768; c=32 needs 32); ours runs every c on one server
  - TTFT p50 of a 12-token and a 1000-token prompt, streaming, c=1, --ttft-reps requests each with a fresh prompt
    (no shared prefix, so no prefix cache helps)
and once, in bf16: resident memory (peak VmRSS from /proc/PID/status) with 16 concurrent streams at ~2k context.
Our server runs with --spec off by default (llama-server does not speculate unless told to); --spec ngram measures our
default configuration instead.
"""
import argparse
import atexit
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import types
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402  (scripts/load.py: closed_loop, run_request, percentiles)

KIB_PER_TOKEN_OURS = 30 * 3 * 64 * 2 * 4 / 1024  # f32 K and V, 30 layers x 3 kv heads x 64: 45 KiB per token
RUNNING = []  # servers to stop on exit


class ServerError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url, path, timeout=5.0):
    parsed = urllib.parse.urlparse(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        return response.status, (json.loads(body) if body.strip().startswith(b"{") else None)
    finally:
        connection.close()


class Server:
    """A server process we started: its own process group, output in a log file, stopped on exit."""

    def __init__(self, name, command, port, log_dir, cwd=None):
        self.name, self.command, self.url = name, command, f"http://127.0.0.1:{port}"
        self.log_path = Path(log_dir) / f"{name.replace(' ', '_').replace('/', '_')}.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True)
        RUNNING.append(self)

    def log_tail(self, lines=15):
        try:
            return "".join(self.log_path.read_text(errors="replace").splitlines(True)[-lines:])
        except OSError:
            return ""

    def wait_ready(self, timeout):
        """Until GET /health answers 200 (llama-server answers 503 while it loads)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"{self.name} exited with {self.process.returncode} while starting:\n"
                                  f"  {' '.join(self.command)}\n{self.log_tail()}")
            try:
                status, _ = http_json(self.url, "/health", timeout=2)
                if status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.5)
        raise ServerError(f"{self.name} not ready after {timeout:.0f} s:\n  {' '.join(self.command)}\n{self.log_tail()}")

    def model_id(self):
        try:
            status, body = http_json(self.url, "/v1/models")
            if status == 200 and body and body.get("data"):
                return body["data"][0]["id"]
        except (OSError, http.client.HTTPException, ValueError):
            pass
        return "default"

    def rss_kib(self):
        """(VmRSS, VmHWM) in KiB, or (None, None) once the process is gone."""
        try:
            fields = dict(line.split(":", 1) for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines())
            return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
        except (OSError, KeyError, ValueError):
            return None, None

    def stop(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        self.log.close()
        if self in RUNNING:
            RUNNING.remove(self)


def stop_all():
    for server in list(RUNNING):
        server.stop()


def words_prompt(rng, num_words):
    """Common English words, about one token each; a fresh random order shares no prefix with other prompts."""
    return " ".join(rng.choice(load.WORDS) for _ in range(num_words))


def request_args(server, args):
    return types.SimpleNamespace(url=server.url, model=server.model_id(), temperature=0.0, ignore_eos=True,
                                 chat=False, timeout=args.request_timeout)


def run_closed_loop(server, args, concurrency, rng):
    ns = request_args(server, args)
    jobs = [(load.make_prompt(rng, args.prompt_tokens), args.output_tokens) for _ in range(max(4, concurrency * args.rounds))]
    results, lock = [], threading.Lock()

    def one(prompt, max_tokens):
        result = load.run_request(ns, prompt, max_tokens)
        with lock:
            results.append(result)

    started = time.perf_counter()
    load.closed_loop(jobs, concurrency, one)
    elapsed = time.perf_counter() - started
    ok = [r for r in results if r.ok]
    errors = [r.error for r in results if not r.ok]
    tokens = sum(r.output_tokens for r in ok)
    short = [r.output_tokens for r in ok if r.output_tokens != args.output_tokens]
    return {"concurrency": concurrency, "requests": len(results), "errors": len(errors), "error_samples": errors[:3],
            "output_tokens": tokens, "seconds": elapsed, "tok_per_s": tokens / elapsed if ok else None,
            "itl_p50_ms": ms(load.percentiles([g for r in ok for g in r.itls])["p50"]),
            "not_full_length": short[:5]}


def run_ttft(server, args, num_words, rng):
    ns = request_args(server, args)
    ttfts, prompt_tokens, errors = [], [], []
    for _ in range(args.ttft_reps):
        result = load.run_request(ns, words_prompt(rng, num_words), args.ttft_output_tokens)
        if result.ok:
            ttfts.append(result.ttft)
            prompt_tokens.append(result.prompt_tokens)
        else:
            errors.append(result.error)
    return {"p50_ms": ms(load.percentiles(ttfts)["p50"]), "prompt_tokens": sorted(set(prompt_tokens)),
            "errors": len(errors), "error_samples": errors[:3]}


def run_rss(server, args, rng):
    """Peak resident memory while --rss-streams requests of ~--rss-context tokens stream at once."""
    ns = request_args(server, args)
    peak, stop = [0], threading.Event()

    def sample():
        while not stop.is_set():
            rss, _ = server.rss_kib()
            if rss:
                peak[0] = max(peak[0], rss)
            time.sleep(0.2)

    idle, _ = server.rss_kib()
    sampler = threading.Thread(target=sample)
    sampler.start()
    results, lock = [], threading.Lock()

    def one(prompt, max_tokens):
        result = load.run_request(ns, prompt, max_tokens)
        with lock:
            results.append(result)

    jobs = [(words_prompt(rng, args.rss_context), args.rss_output_tokens) for _ in range(args.rss_streams)]
    load.closed_loop(jobs, args.rss_streams, one)
    stop.set()
    sampler.join()
    _, hwm = server.rss_kib()
    ok = [r for r in results if r.ok]
    return {"idle_mib": idle / 1024 if idle else None, "peak_mib": peak[0] / 1024 if peak[0] else None,
            "hwm_mib": hwm / 1024 if hwm else None, "streams_ok": len(ok),
            "prompt_tokens": sorted(set(r.prompt_tokens for r in ok))[:3],
            "errors": [r.error for r in results if not r.ok][:3]}


def ms(seconds):
    return None if seconds is None else seconds * 1000


def warm_up(server, args):
    result = load.run_request(request_args(server, args), "Hello there, how are you", 8)
    if not result.ok:
        raise ServerError(f"{server.name}: warm-up request failed: {result.error}\n{server.log_tail()}")


def our_command(args, dtype, port, max_seqs, kv_mib):
    command = [args.serve, "--model", args.model, "--host", "127.0.0.1", "--port", str(port),
               "--max-num-seqs", str(max_seqs), "--kv-cache-memory", str(kv_mib), "--spec", args.spec]
    if args.serve_has_dtype:
        command += ["--dtype", dtype]
    elif dtype != "bf16":
        return None
    return command + args.serve_arg


def llama_command(args, gguf, port, slots, slot_ctx):
    return [args.llama_server, "-m", gguf, "--host", "127.0.0.1", "--port", str(port), "-np", str(slots),
            "-c", str(slots * slot_ctx), "-t", str(args.threads), "-tb", str(args.threads)] + args.llama_arg


def measure(server, args, rng, concurrency=None, ttft=True):
    """Throughput at each concurrency (default: all of --concurrency) and, if `ttft`, both TTFTs against one running
    server."""
    warm_up(server, args)
    out = {"throughput": {}, "ttft": {}}
    for c in args.concurrency if concurrency is None else concurrency:
        r = run_closed_loop(server, args, c, rng)
        out["throughput"][c] = r
        print(f"  {server.name}: c={c:<3} {fmt(r['tok_per_s'], 1):>8} tok/s  ({r['requests']} requests, {r['errors']} errors,"
              f" {r['seconds']:.1f} s, ITL p50 {fmt(r['itl_p50_ms'], 1)} ms)", flush=True)
        if r["errors"]:
            print(f"    errors: {r['error_samples']}")
        if r["not_full_length"]:
            print(f"    warning: some requests returned other than {args.output_tokens} tokens: {r['not_full_length']}")
    for label, words in (("short", args.ttft_short_words), ("long", args.ttft_long_words)) if ttft else ():
        r = run_ttft(server, args, words, rng)
        out["ttft"][label] = r
        print(f"  {server.name}: TTFT p50 {fmt(r['p50_ms'], 1)} ms at {r['prompt_tokens']} prompt tokens"
              f" ({args.ttft_reps} reps{', %d errors' % r['errors'] if r['errors'] else ''})", flush=True)
    return out


def run_server(server, args, rng, **kwargs):
    """`measure` on `server` from start to stop; {"error": ...} if it failed."""
    print(f"\n== {server.name}: {' '.join(server.command)}", flush=True)
    try:
        server.wait_ready(args.start_timeout)
        return measure(server, args, rng, **kwargs)
    except ServerError as error:
        print(f"  error: {error}")
        return {"error": str(error)}
    finally:
        server.stop()


def run_llama(args, name, gguf, log_dir, rng):
    """llama-server splits its context into -np slots up front, so each concurrency c runs against one with
    -np max(--llama-min-slots, c) (the issue's baseline: -np 16 -c 32768); concurrencies with the same slot count share
    a server, and the TTFTs run on the first."""
    out = {"throughput": {}, "ttft": {}}
    slots = {c: max(args.llama_min_slots, c) for c in args.concurrency}
    for n in sorted(set(slots.values())):
        port = free_port()
        server = Server(f"llama.cpp {name} -np {n}", llama_command(args, gguf, port, n, args.slot_ctx), port, log_dir)
        r = run_server(server, args, rng, concurrency=[c for c in args.concurrency if slots[c] == n], ttft=not out["ttft"])
        if "error" in r:
            return r
        out["throughput"].update(r["throughput"])
        out["ttft"].update(r["ttft"])
    return out


def run_interleaved(args, name, gguf, our_server, log_dir, rng):
    """`--interleave N`: ours and llama-server up at once, each concurrency measured in N rounds that send the same
    load to both, in alternating order (ours first in odd rounds), and each TTFT prompt sent to both likewise. Drift
    of the machine over minutes (~10% here) then falls on both sides alike. Per side: the median of the rounds'
    tok/s and the p50 of the TTFTs; also the median of the per-round ratios."""
    ours_out, llama_out = {"throughput": {}, "ttft": {}}, {"throughput": {}, "ttft": {}}
    print(f"\n== {our_server.name}: {' '.join(our_server.command)}", flush=True)
    our_server.wait_ready(args.start_timeout)
    warm_up(our_server, args)
    slots = {c: max(args.llama_min_slots, c) for c in args.concurrency}
    try:
        for n in sorted(set(slots.values())):
            port = free_port()
            llama = Server(f"llama.cpp {name} -np {n}", llama_command(args, gguf, port, n, args.slot_ctx), port, log_dir)
            print(f"== {llama.name}: {' '.join(llama.command)}", flush=True)
            try:
                llama.wait_ready(args.start_timeout)
                warm_up(llama, args)
                for c in [c for c in args.concurrency if slots[c] == n]:
                    rounds = {"ours": [], "llama.cpp": []}
                    for i in range(args.interleave):
                        seed = rng.randrange(1 << 30)
                        for side, server in (("ours", our_server), ("llama.cpp", llama))[:: 1 if i % 2 == 0 else -1]:
                            rounds[side].append(run_closed_loop(server, args, c, random.Random(seed)))
                        print(f"  c={c:<3} round {i + 1}: ours {fmt(rounds['ours'][-1]['tok_per_s'], 1)}, llama.cpp "
                              f"{fmt(rounds['llama.cpp'][-1]['tok_per_s'], 1)} tok/s", flush=True)
                    for side, out in (("ours", ours_out), ("llama.cpp", llama_out)):
                        values = [r["tok_per_s"] for r in rounds[side] if r["tok_per_s"] is not None]
                        out["throughput"][c] = {"tok_per_s": statistics.median(values) if values else None,
                                                "rounds": [r["tok_per_s"] for r in rounds[side]],
                                                "errors": sum(r["errors"] for r in rounds[side])}
                    ratios = [a["tok_per_s"] / b["tok_per_s"] for a, b in zip(rounds["ours"], rounds["llama.cpp"])
                              if a["tok_per_s"] and b["tok_per_s"]]
                    if ratios:
                        ours_out["throughput"][c]["ratio_median"] = statistics.median(ratios)
                        print(f"  c={c:<3} median of the rounds' ratios {statistics.median(ratios):.2f} "
                              f"(min {min(ratios):.2f}, max {max(ratios):.2f})", flush=True)
                if not ours_out["ttft"]:
                    for label, words in (("short", args.ttft_short_words), ("long", args.ttft_long_words)):
                        times, tokens = {"ours": [], "llama.cpp": []}, {"ours": set(), "llama.cpp": set()}
                        for i in range(args.ttft_reps):
                            prompt = words_prompt(rng, words)
                            for side, server in (("ours", our_server), ("llama.cpp", llama))[:: 1 if i % 2 == 0 else -1]:
                                result = load.run_request(request_args(server, args), prompt, args.ttft_output_tokens)
                                if result.ok:
                                    times[side].append(result.ttft)
                                    tokens[side].add(result.prompt_tokens)
                        for side, out in (("ours", ours_out), ("llama.cpp", llama_out)):
                            out["ttft"][label] = {"p50_ms": ms(load.percentiles(times[side])["p50"]), "prompt_tokens": sorted(tokens[side])}
                        print(f"  TTFT {label} ({words} words): ours {fmt(ours_out['ttft'][label]['p50_ms'], 1)}, llama.cpp "
                              f"{fmt(llama_out['ttft'][label]['p50_ms'], 1)} ms p50", flush=True)
            finally:
                llama.stop()
    except ServerError as error:
        print(f"  error: {error}")
        return {"error": str(error)}, {"error": str(error)}
    finally:
        our_server.stop()
    return ours_out, llama_out


def fmt(value, digits):
    return "-" if value is None else f"{value:.{digits}f}"


def ratio(ours, theirs):
    return "-" if ours is None or theirs is None or theirs == 0 else f"{ours / theirs:.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", required=True, help="our serve binary (.build/release/serve)")
    parser.add_argument("--model", required=True, help="our model directory (weights/smol-135m)")
    parser.add_argument("--llama-server", required=True, help="llama.cpp's llama-server binary")
    parser.add_argument("--class", dest="classes", action="append", required=True, metavar="NAME=GGUF",
                        help="a weight class: our --dtype NAME against llama-server on GGUF (repeat: bf16, q8_0, q4_0)")
    parser.add_argument("--concurrency", default="1,4,16,32", help="closed-loop clients, comma-separated")
    parser.add_argument("--rounds", type=int, default=3, help="requests per client at each concurrency")
    parser.add_argument("--prompt-tokens", type=int, default=128)
    parser.add_argument("--output-tokens", type=int, default=128)
    parser.add_argument("--ttft-reps", type=int, default=7)
    parser.add_argument("--ttft-short-words", type=int, default=12, help="words of the short TTFT prompt (~tokens)")
    parser.add_argument("--ttft-long-words", type=int, default=1000, help="words of the long TTFT prompt (~tokens)")
    parser.add_argument("--ttft-output-tokens", type=int, default=8)
    parser.add_argument("--rss-streams", type=int, default=16, help="0 skips the memory measurement")
    parser.add_argument("--rss-context", type=int, default=2000, help="prompt words (~tokens) of each stream")
    parser.add_argument("--rss-output-tokens", type=int, default=64)
    parser.add_argument("--rss-kv-dtype", choices=["f32", "f16"], default="f16",
                        help="our KV cache dtype in the memory measurement (llama-server's default cache is f16)")
    parser.add_argument("--rss-llama", action=argparse.BooleanOptionalAction, default=True,
                        help="also measure llama-server's memory the same way")
    parser.add_argument("--slot-ctx", type=int, default=2048, help="llama-server context per slot (-c = slots x this)")
    parser.add_argument("--llama-min-slots", type=int, default=16,
                        help="llama-server runs concurrency c with -np max(this, c) (default 16: the issue's -np 16 -c 32768)")
    parser.add_argument("--threads", type=int, default=2, help="llama-server -t/-tb")
    parser.add_argument("--spec", default="off", help="our --spec mode (off: same work as llama-server)")
    parser.add_argument("--serve-arg", action="append", default=[], help="extra argument for our server (repeat)")
    parser.add_argument("--llama-arg", action="append", default=[], help="extra argument for llama-server (repeat)")
    parser.add_argument("--serve-cwd", default=str(Path(__file__).resolve().parent.parent),
                        help="our server's working directory (its config.json applies; default: the repository)")
    parser.add_argument("--start-timeout", type=float, default=300)
    parser.add_argument("--request-timeout", type=float, default=600)
    parser.add_argument("--interleave", type=int, default=0, metavar="N",
                        help="run both servers at once and alternate identical loads between them, N rounds per "
                             "concurrency (drift of the machine falls on both alike); 0: one server after the other")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write all results as JSON to this file")
    args = parser.parse_args()

    args.concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    classes = []
    for item in args.classes:
        name, sep, gguf = item.partition("=")
        if not sep or not name:
            parser.error(f"--class wants NAME=GGUF, got {item!r}")
        if not Path(gguf).is_file():
            parser.error(f"--class {name}: no file {gguf}")
        classes.append((name, gguf))
    for path, what in ((args.serve, "--serve"), (args.llama_server, "--llama-server")):
        if not (Path(path).is_file() and os.access(path, os.X_OK)):
            parser.error(f"{what}: {path} is not an executable file")
    args.serve = str(Path(args.serve).resolve())
    args.model = str(Path(args.model).resolve())
    help_text = subprocess.run([args.serve, "--help"], capture_output=True, text=True, timeout=60).stdout
    args.serve_has_dtype = "--dtype" in help_text
    if not args.serve_has_dtype:
        print("note: our serve has no --dtype yet: only class bf16 runs on our side")

    atexit.register(stop_all)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sys.exit(130))
    log_dir = tempfile.mkdtemp(prefix="compare_llama.")
    print(f"server logs in {log_dir}")
    rng = random.Random(args.seed)
    max_c = max(args.concurrency)
    # Enough KV for every stream's prompt and output, with slack for block rounding.
    kv_mib = max(512, int(max_c * (args.prompt_tokens + args.output_tokens + 64) * KIB_PER_TOKEN_OURS / 1024 * 1.25),
                 int((args.ttft_long_words * 1.3 + 64) * KIB_PER_TOKEN_OURS / 1024 * 1.25))
    results = {"config": {k: v for k, v in vars(args).items()}, "classes": {}}

    for name, gguf in classes:
        entry = results["classes"].setdefault(name, {})
        if args.interleave > 0:
            port = free_port()
            command = our_command(args, name, port, max_c, kv_mib)
            if command is None:
                print(f"\n== {name}: skipped (no --dtype)")
                continue
            entry["ours"], entry["llama.cpp"] = run_interleaved(
                args, name, gguf, Server(f"ours {name}", command, port, log_dir, cwd=args.serve_cwd), log_dir, rng)
            continue
        for side in ("ours", "llama.cpp"):
            port = free_port()
            if side == "ours":
                command = our_command(args, name, port, max_c, kv_mib)
                if command is None:
                    print(f"\n== {name}: ours skipped (no --dtype)")
                    continue
                entry[side] = run_server(Server(f"ours {name}", command, port, log_dir, cwd=args.serve_cwd), args, rng)
            else:
                entry[side] = run_llama(args, name, gguf, log_dir, rng)

    if args.rss_streams > 0:
        # Each slot holds a stream's prompt (the words are one token each: the run prints the prompt tokens seen) and
        # its output, plus a block of slack; both servers get exactly this capacity (llama-server: -np streams, -c
        # streams x this), and both hold their whole KV cache from startup.
        rss_ctx = args.rss_context + args.rss_output_tokens + 64
        memory = results["memory"] = {}
        sides = [("ours", None)] + ([("llama.cpp", dict(classes).get("bf16"))] if args.rss_llama and "bf16" in dict(classes) else [])
        for side, gguf in sides:
            port = free_port()
            if side == "ours":
                # f16 halves a token's KV; llama-server keeps its cache in f16 by default too.
                kib_per_token = KIB_PER_TOKEN_OURS / (2 if args.rss_kv_dtype == "f16" else 1)
                kv = int(args.rss_streams * rss_ctx * kib_per_token / 1024) + 1
                command = our_command(args, "bf16", port, args.rss_streams, kv) + ["--kv-cache-dtype", args.rss_kv_dtype]
                server = Server("ours bf16 rss", command, port, log_dir, cwd=args.serve_cwd)
            else:
                server = Server("llama.cpp bf16 rss", llama_command(args, gguf, port, args.rss_streams, rss_ctx), port, log_dir)
            print(f"\n== {server.name}: {args.rss_streams} streams of ~{args.rss_context} tokens: {' '.join(server.command)}", flush=True)
            try:
                server.wait_ready(args.start_timeout)
                warm_up(server, args)
                memory[side] = run_rss(server, args, rng)
                m = memory[side]
                print(f"  idle {fmt(m['idle_mib'], 0)} MiB, peak VmRSS {fmt(m['peak_mib'], 0)} MiB (VmHWM {fmt(m['hwm_mib'], 0)} MiB),"
                      f" {m['streams_ok']}/{args.rss_streams} streams ok at {m['prompt_tokens']} prompt tokens"
                      + (f", errors {m['errors']}" if m["errors"] else ""), flush=True)
            except ServerError as error:
                print(f"  error: {error}")
                memory[side] = {"error": str(error)}
            finally:
                server.stop()

    print_summary(results, args)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


def print_summary(results, args):
    print(f"\nOutput throughput, tok/s ({args.output_tokens} tokens per request, ~{args.prompt_tokens}-token prompts, "
          f"closed loop, {args.rounds} requests per client; ours --spec {args.spec}; llama-server "
          + f"-np max({args.llama_min_slots}, c) -c that x {args.slot_ctx} -t {args.threads}"
          + (f"; both up at once, {args.interleave} alternated rounds, median of each side" if args.interleave else "")
          + "). Ratio above 1: ours faster.\n")
    print("| class | c | ours | llama.cpp | ours / llama.cpp |")
    print("|---|---|---|---|---|")
    for name, entry in results["classes"].items():
        for c in args.concurrency:
            ours = entry.get("ours", {}).get("throughput", {}).get(c, {}).get("tok_per_s")
            theirs = entry.get("llama.cpp", {}).get("throughput", {}).get(c, {}).get("tok_per_s")
            print(f"| {name} | {c} | {fmt(ours, 1)} | {fmt(theirs, 1)} | {ratio(ours, theirs)} |")
    print(f"\nTime to first token, p50 of {args.ttft_reps} (streaming, c=1; ms). Ratio below 1: ours sooner.\n")
    print("| class | prompt | ours | llama.cpp | ours / llama.cpp |")
    print("|---|---|---|---|---|")
    for name, entry in results["classes"].items():
        for label in ("short", "long"):
            ours_t = entry.get("ours", {}).get("ttft", {}).get(label, {})
            theirs_t = entry.get("llama.cpp", {}).get("ttft", {}).get(label, {})
            tokens = ours_t.get("prompt_tokens") or theirs_t.get("prompt_tokens") or ["?"]
            print(f"| {name} | {'/'.join(map(str, tokens))} tokens | {fmt(ours_t.get('p50_ms'), 1)} | "
                  f"{fmt(theirs_t.get('p50_ms'), 1)} | {ratio(ours_t.get('p50_ms'), theirs_t.get('p50_ms'))} |")
    memory = results.get("memory")
    if memory:
        ours_m, theirs_m = memory.get("ours", {}), memory.get("llama.cpp", {})
        print(f"\nResident memory, bf16, {args.rss_streams} concurrent streams of ~{args.rss_context}-token prompts (MiB;"
              " llama.cpp's counts its memory-mapped GGUF and f16 KV cache, ours its loaded weights and "
              f"{args.rss_kv_dtype} KV cache)\n")
        print("| | idle | peak VmRSS under load | VmHWM (incl. loading) | peak / llama.cpp's |")
        print("|---|---|---|---|---|")
        print(f"| ours | {fmt(ours_m.get('idle_mib'), 0)} | {fmt(ours_m.get('peak_mib'), 0)} | {fmt(ours_m.get('hwm_mib'), 0)} | "
              f"{ratio(ours_m.get('peak_mib'), theirs_m.get('peak_mib'))} |")
        if theirs_m:
            print(f"| llama.cpp | {fmt(theirs_m.get('idle_mib'), 0)} | {fmt(theirs_m.get('peak_mib'), 0)} | "
                  f"{fmt(theirs_m.get('hwm_mib'), 0)} | |")


if __name__ == "__main__":
    sys.exit(main())
