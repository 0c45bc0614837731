#!/usr/bin/env python3
"""Structured outputs on real-world JSON Schemas: our server next to llama.cpp's llama-server, through the HTTP API.

Needs the `jsonschema` package (pip install jsonschema; `pip install 'jsonschema[format-nongpl]'` also checks
date-time, uri, hostname, ... formats); otherwise standard library only.

  python3 scripts/structured_compare.py --serve .build/release/serve --model weights/smol-135m \\
      --llama-server ~/llama.cpp/build/bin/llama-server --gguf gguf/smol-135m-bf16.gguf

For each schema of --schemas (default scripts/data/schemas/schemas.jsonl, a JSONSchemaBench sample; see the README
there), one greedy POST /v1/chat/completions:
  messages        system "You are a helpful assistant that answers in JSON.", user "Produce a JSON value that follows
                  this JSON Schema:\\n<the schema as compact JSON, cut after --prompt-schema-chars characters>"
  response_format {"type": "json_schema", "json_schema": {"name": "s", "schema": <schema>, "strict": true}}
                  (llama-server reads the schema from the same place, response_format.json_schema.schema)
  temperature 0, seed 0, max_tokens --max-tokens (512)
and the reply is one of
  conforming          finish_reason "stop", the content parses as JSON and validates against the schema (jsonschema's
                      validator for the schema's "$schema" draft, 2020-12 when none; format checking on)
  nonconforming_stop  finish_reason "stop" but the content does not parse or does not validate (printed)
  length              finish_reason "length": max_tokens reached
  refused             HTTP 4xx, e.g. a schema the server does not support (the message is printed)
  error               HTTP 5xx, a timeout, a broken connection or reply, another finish_reason
  unchecked           finish "stop" and parses, but the validator itself raised (a checker limit, not the server's)
Requests go one at a time; servers run one after another (the machine has 2 cores). Servers: --serve/--model (ours,
started here like scripts/compare_llama.py does), --url (ours, already running), --llama-server/--gguf (started here
with -c 4096 -np 1 -t 2), --llama-url (llama-server already running). Prints a table per server and category and
overall, and the conforming share side by side. Exit status 1 if one of our servers ends any reply with "stop" whose
content is not conforming JSON (and, with --require-share, if our conforming share is below llama-server's).
--limit N takes N schemas spread over the categories (round robin in file order); --category filters by name prefix.
"""
import argparse
import atexit
import http.client
import json
import signal
import sys
import tempfile
import time
import urllib.parse
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_llama  # noqa: E402  (Server, ServerError, free_port, stop_all)

try:
    import jsonschema
    from jsonschema import validators
except ImportError:
    sys.exit("structured_compare.py needs the jsonschema package to validate replies: pip install jsonschema")

SYSTEM_PROMPT = "You are a helpful assistant that answers in JSON."
USER_PREFIX = "Produce a JSON value that follows this JSON Schema:\n"
CLASSES = ["conforming", "nonconforming_stop", "length", "refused", "error", "unchecked"]
DEFAULT_SCHEMAS = Path(__file__).resolve().parent / "data" / "schemas" / "schemas.jsonl"


# ---------------------------------------------------------------------------------------------------------- schemas

def load_schemas(path, categories, limit):
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    if categories:
        wanted = [c.lower() for c in categories]
        rows = [r for r in rows if any(r["category"].lower().startswith(w) for w in wanted)]
    # Round robin over the categories (in file order), so that a --limit sample covers all of them.
    by_category = {}
    for row in rows:
        by_category.setdefault(row["category"], []).append(row)
    ordered, depth = [], 0
    while len(ordered) < len(rows):
        for items in by_category.values():
            if depth < len(items):
                ordered.append(items[depth])
        depth += 1
    return ordered[:limit] if limit else ordered


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def user_prompt(schema, max_chars):
    text = compact(schema)
    if len(text) > max_chars:
        text = text[:max_chars] + " ... (schema cut here; the full schema is in response_format)"
    return USER_PREFIX + text


def validator_class(schema):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an unknown "$schema" falls back to the default, with a DeprecationWarning
        return validators.validator_for(schema, default=validators.Draft202012Validator)


def formats_in(node, found):
    if isinstance(node, dict):
        if isinstance(node.get("format"), str):
            found.add(node["format"])
        for value in node.values():
            formats_in(value, found)
    elif isinstance(node, list):
        for item in node:
            formats_in(item, found)
    return found


def note_unchecked_formats(rows):
    """Formats the schemas use that this jsonschema install cannot check (missing optional packages)."""
    missing = {}
    for row in rows:
        cls = validator_class(row["schema"])
        for fmt in formats_in(row["schema"], set()):
            if fmt not in cls.FORMAT_CHECKER.checkers:
                missing[fmt] = missing.get(fmt, 0) + 1
    if missing:
        listed = ", ".join(f"{fmt} ({n})" for fmt, n in sorted(missing.items(), key=lambda kv: (-kv[1], kv[0])))
        print(f"note: formats not checked (schemas using them): {listed}\n"
              f"      (unknown formats pass; pip install 'jsonschema[format-nongpl]' checks most of the standard ones)")


def reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def check_reply(schema, content):
    """(class, detail) of a reply that finished with "stop"."""
    if not isinstance(content, str) or not content.strip():
        return "nonconforming_stop", "empty content"
    try:
        instance = json.loads(content, parse_constant=reject_constant)
    except ValueError as error:
        return "nonconforming_stop", f"not JSON: {error}"
    cls = validator_class(schema)
    try:
        validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    except Exception as error:  # noqa: BLE001  (the validator itself failed: unresolvable ref, pattern re rejects)
        return "unchecked", f"validator raised {type(error).__name__}: {error}"[:300]
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        return "nonconforming_stop", f"invalid at {where}: {error.message}"[:300]
    return "conforming", ""


# --------------------------------------------------------------------------------------------------------- requests

def post_json(url, path, body, timeout):
    parsed = urllib.parse.urlparse(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port or 80, timeout=timeout)
    try:
        connection.request("POST", parsed.path.rstrip("/") + path, json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def error_message(raw):
    try:
        body = json.loads(raw)
        error = body.get("error", body) if isinstance(body, dict) else body
        message = error.get("message", error) if isinstance(error, dict) else error
        return str(message)
    except ValueError:
        return raw.decode(errors="replace")


def run_one(url, model, row, args):
    schema = row["schema"]
    body = {
        "model": model,
        "messages": [{"role": "system", "content": SYSTEM_PROMPT},
                     {"role": "user", "content": user_prompt(schema, args.prompt_schema_chars)}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": schema, "strict": True}},
        "temperature": 0,
        "seed": args.seed,
        "max_tokens": args.max_tokens,
    }
    result = {"id": row["id"], "category": row["category"], "class": None, "detail": "", "http_status": None,
              "finish_reason": None, "content": None, "prompt_tokens": None, "completion_tokens": None, "seconds": None}
    started = time.perf_counter()
    try:
        status, raw = post_json(url, "/v1/chat/completions", body, args.request_timeout)
    except (OSError, http.client.HTTPException) as error:  # timeouts are OSErrors
        result.update({"class": "error", "detail": f"{type(error).__name__}: {error}",
                       "seconds": time.perf_counter() - started})
        return result
    result["seconds"] = time.perf_counter() - started
    result["http_status"] = status
    if 400 <= status < 500:
        result.update({"class": "refused", "detail": error_message(raw)[:500]})
        return result
    if status != 200:
        result.update({"class": "error", "detail": f"HTTP {status}: {error_message(raw)[:300]}"})
        return result
    try:
        reply = json.loads(raw)
        choice = reply["choices"][0]
        content = (choice.get("message") or {}).get("content")
        finish = choice.get("finish_reason")
        usage = reply.get("usage") or {}
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
        result.update({"class": "error", "detail": f"unreadable reply ({type(error).__name__}): {raw[:200]!r}"})
        return result
    result.update({"finish_reason": finish, "content": content, "prompt_tokens": usage.get("prompt_tokens"),
                   "completion_tokens": usage.get("completion_tokens")})
    if finish == "stop":
        result["class"], result["detail"] = check_reply(schema, content)
    elif finish == "length":
        result["class"] = "length"
    else:
        result.update({"class": "error", "detail": f"finish_reason {finish!r}"})
    return result


def model_id(url):
    """The first id of GET /v1/models (our server wants it as "model"; llama-server takes anything)."""
    try:
        status, body = compare_llama.http_json(url, "/v1/models")
        if status == 200 and body and body.get("data"):
            return body["data"][0]["id"]
    except (OSError, http.client.HTTPException, ValueError):
        pass
    return "default"


def run_server(name, url, rows, args):
    model = model_id(url)
    print(f"  model {model!r}, {len(rows)} schemas, max_tokens {args.max_tokens}", flush=True)
    results = []
    for i, row in enumerate(rows, 1):
        result = run_one(url, model, row, args)
        results.append(result)
        tokens = result["completion_tokens"]
        line = (f"  [{i}/{len(rows)}] {row['id']}: {result['class']}"
                + (f", {tokens} tokens" if tokens is not None else "")
                + (f", {result['seconds']:.1f} s" if result["seconds"] is not None else ""))
        if result["class"] != "conforming" and result["detail"]:
            line += f"\n      {result['detail']}"
        if result["class"] in ("nonconforming_stop", "unchecked"):
            line += f"\n      content: {str(result['content'])[:300]!r}"
        print(line, flush=True)
    return {"model": model, "url": url, "results": results}


# ---------------------------------------------------------------------------------------------------------- summary

def tally(results):
    counts = {c: 0 for c in CLASSES}
    for r in results:
        counts[r["class"]] += 1
    total = len(results)
    return {"n": total, **counts, "share": counts["conforming"] / total if total else None}


def summarize(results):
    categories = list(dict.fromkeys(r["category"] for r in results))
    table = {c: tally([r for r in results if r["category"] == c]) for c in categories}
    table["overall"] = tally(results)
    return table


def pct(share):
    return "-" if share is None else f"{100 * share:.1f}%"


def print_tables(servers):
    shown = [c for c in CLASSES if c != "unchecked"]
    if any(s.get("summary", {}).get("overall", {}).get("unchecked") for s in servers.values()):
        shown.append("unchecked")
    short = {"conforming": "conf", "nonconforming_stop": "nonconf_stop", "length": "length", "refused": "refused",
             "error": "error", "unchecked": "unchecked"}
    for name, server in servers.items():
        print(f"\n== {name}" + (f": {server['error']}" if server.get("error") else ""))
        if "summary" not in server:
            continue
        header = f"  {'category':<16} {'n':>4} " + " ".join(f"{short[c]:>{max(6, len(short[c]))}}" for c in shown) + "   share"
        print(header)
        for category, row in server["summary"].items():
            if category == "overall":
                print("  " + "-" * (len(header) - 2))
            print(f"  {category:<16} {row['n']:>4} " + " ".join(f"{row[c]:>{max(6, len(short[c]))}}" for c in shown)
                  + f"  {pct(row['share']):>6}")
    done = {n: s for n, s in servers.items() if "summary" in s}
    if len(done) > 1:
        categories = list(dict.fromkeys(c for s in done.values() for c in s["summary"]))
        print("\nConforming share side by side")
        print(f"  {'category':<16} " + " ".join(f"{n:>14}" for n in done))
        for category in categories:
            print(f"  {category:<16} " + " ".join(f"{pct(s['summary'].get(category, {}).get('share')):>14}"
                                                  for s in done.values()))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", help="our serve binary (.build/release/serve); with --model")
    parser.add_argument("--model", help="our model directory (weights/smol-135m)")
    parser.add_argument("--url", help="our server, already running (e.g. http://127.0.0.1:8080)")
    parser.add_argument("--llama-server", help="llama.cpp's llama-server binary; with --gguf")
    parser.add_argument("--gguf", help="the GGUF llama-server loads")
    parser.add_argument("--llama-url", help="a llama-server already running")
    parser.add_argument("--schemas", default=str(DEFAULT_SCHEMAS), help="JSON Lines of {id, category, schema}")
    parser.add_argument("--category", action="append", default=[], help="only categories starting with this (repeat)")
    parser.add_argument("--limit", type=int, default=0, help="at most this many schemas, spread over the categories")
    parser.add_argument("--max-tokens", type=int, default=512)
    parser.add_argument("--prompt-schema-chars", type=int, default=3000, help="schema text in the prompt cut after this")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ctx", type=int, default=4096, help="llama-server -c")
    parser.add_argument("--threads", type=int, default=2, help="llama-server -t/-tb")
    parser.add_argument("--serve-arg", action="append", default=[], help="extra argument for our server (repeat)")
    parser.add_argument("--llama-arg", action="append", default=[], help="extra argument for llama-server (repeat)")
    parser.add_argument("--serve-cwd", default=str(Path(__file__).resolve().parent.parent),
                        help="working directory of our server (its config.json)")
    parser.add_argument("--start-timeout", type=float, default=300)
    parser.add_argument("--request-timeout", type=float, default=300)
    parser.add_argument("--require-share", action="store_true",
                        help="also exit 1 if our conforming share is below llama-server's")
    parser.add_argument("--json", help="write the per-schema results to this file")
    args = parser.parse_args()

    if bool(args.serve) != bool(args.model):
        parser.error("--serve and --model go together")
    if bool(args.llama_server) != bool(args.gguf):
        parser.error("--llama-server and --gguf go together")
    if not (args.serve or args.url or args.llama_server or args.llama_url):
        parser.error("no server: give --serve/--model, --url, --llama-server/--gguf or --llama-url")
    for path, what in ((args.serve, "--serve"), (args.llama_server, "--llama-server")):
        if path and not (Path(path).is_file() and Path(path).stat().st_mode & 0o111):
            parser.error(f"{what}: {path} is not an executable file")
    for path, what in ((args.model, "--model"), (args.gguf, "--gguf")):
        if path and not Path(path).exists():
            parser.error(f"{what}: no {path}")

    rows = load_schemas(args.schemas, args.category, args.limit)
    if not rows:
        parser.error("no schemas selected")
    counts = {}
    for row in rows:
        counts[row["category"]] = counts.get(row["category"], 0) + 1
    print(f"{len(rows)} schemas from {args.schemas}: " + ", ".join(f"{c} {n}" for c, n in counts.items()))
    note_unchecked_formats(rows)

    atexit.register(compare_llama.stop_all)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sys.exit(130))
    log_dir = tempfile.mkdtemp(prefix="structured_compare.")
    print(f"server logs in {log_dir}")

    plan = []  # (name, ours, url or None, command or None)
    if args.serve:
        port = compare_llama.free_port()
        plan.append(("ours", True, None, [str(Path(args.serve).resolve()), "--model", str(Path(args.model).resolve()),
                                          "--host", "127.0.0.1", "--port", str(port)] + args.serve_arg, port))
    if args.url:
        plan.append(("ours (url)", True, args.url, None, None))
    if args.llama_server:
        port = compare_llama.free_port()
        plan.append(("llama.cpp", False, None, [args.llama_server, "-m", args.gguf, "--host", "127.0.0.1",
                                                "--port", str(port), "-c", str(args.ctx), "-np", "1",
                                                "-t", str(args.threads), "-tb", str(args.threads)] + args.llama_arg, port))
    if args.llama_url:
        plan.append(("llama.cpp (url)", False, args.llama_url, None, None))

    servers = {}
    for name, ours, url, command, port in plan:
        entry = servers[name] = {"ours": ours}
        server = None
        try:
            if command:
                # A fresh port: the one picked above may have been taken while an earlier server ran.
                port = compare_llama.free_port()
                command[command.index("--port") + 1] = str(port)
                cwd = args.serve_cwd if ours else None
                server = compare_llama.Server(name, command, port, log_dir, cwd=cwd)
                entry["command"] = command
                print(f"\n== {name}: {' '.join(command)}", flush=True)
                server.wait_ready(args.start_timeout)
                url = server.url
            else:
                print(f"\n== {name}: {url}", flush=True)
            entry.update(run_server(name, url, rows, args))
            entry["summary"] = summarize(entry["results"])
        except compare_llama.ServerError as error:
            print(f"  error: {error}")
            entry["error"] = str(error)
        finally:
            if server:
                server.stop()

    print_tables(servers)

    for name, entry in servers.items():
        refused = [r for r in entry.get("results", []) if r["class"] == "refused"]
        if refused:
            print(f"\n{name}: refused {len(refused)}:")
            for r in refused:
                print(f"  {r['id']}: HTTP {r['http_status']}: {r['detail'][:200]}")

    status = 0
    for name, entry in servers.items():
        if not entry["ours"] or "summary" not in entry:
            continue
        bad = [r for r in entry["results"] if r["class"] == "nonconforming_stop"]
        if bad:
            status = 1
            print(f"\nFAIL {name}: {len(bad)} replies finished with \"stop\" without conforming JSON:")
            for r in bad:
                print(f"  {r['id']}: {r['detail']}\n    content: {str(r['content'])[:300]!r}")
    ours = [e for e in servers.values() if e["ours"] and "summary" in e]
    theirs = [e for e in servers.values() if not e["ours"] and "summary" in e]
    if ours and theirs:
        best_theirs = max(e["summary"]["overall"]["share"] for e in theirs)
        for name, entry in servers.items():
            if entry in ours:
                share = entry["summary"]["overall"]["share"]
                verdict = "at least" if share >= best_theirs else "BELOW"
                print(f"\n{name}: conforming share {pct(share)}, {verdict} llama-server's {pct(best_theirs)}")
                if share < best_theirs and args.require_share:
                    status = 1
    if args.json:
        config = {k: v for k, v in vars(args).items()}
        Path(args.json).write_text(json.dumps({"config": config, "servers": servers}, indent=2) + "\n")
        print(f"\nper-schema results in {args.json}")
    return status


if __name__ == "__main__":
    sys.exit(main())
