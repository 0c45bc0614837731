#!/usr/bin/env python3
"""Select the JSONSchemaBench sample in schemas.jsonl, deterministically. Needs `jsonschema` (pip install jsonschema).

  git clone https://github.com/guidance-ai/jsonschemabench /tmp/jsonschemabench
  python3 scripts/data/schemas/select_schemas.py /tmp/jsonschemabench            # writes scripts/data/schemas/schemas.jsonl

PATH is a checkout (PATH/data/<Category>/*.json) or a bare git directory (read with git ls-tree / git cat-file at
--rev). For each category in PER_CATEGORY: files sorted by name; drop those that fail a filter (below); drop
duplicates (same schema text as an earlier name); then take `count` evenly spaced ones, starting at an offset drawn
from random.Random(f"{seed}:{category}") within the first step. Filters:
  - parses as JSON and is an object (no boolean schemas)
  - compact JSON at most --max-bytes bytes (keeps the committed file small; the largest schemas are left out)
  - every "$ref" is local ("#..."): the validator must not need the network
  - jsonschema's validator for the declared "$schema" (2020-12 when none or unknown) accepts it (check_schema,
    including its regular expressions), and validating a few probe values raises no exception other than a
    validation error (catches unresolvable local refs and patterns Python's re cannot compile)
Output: one line per schema, {"id": "<Category>/<file name>", "category": "<Category>", "schema": <schema>}, compact,
keys in their original order (property order is what a model generates in). Prints counts and sizes.
"""
import argparse
import json
import random
import subprocess
import sys
import warnings
from pathlib import Path

try:
    import jsonschema
    from jsonschema import validators
except ImportError:
    sys.exit("select_schemas.py needs the jsonschema package: pip install jsonschema")

# ~200 schemas: six kinds of ~34 each (the done-when's GitHub, Kubernetes, Snowplow, Washington Post, JSON Schema
# Store, GlaiveAI function calls), GitHub split between its easy and medium sets.
PER_CATEGORY = {
    "Github_easy": 17,
    "Github_medium": 17,
    "Kubernetes": 34,
    "Snowplow": 34,
    "WashingtonPost": 34,
    "JsonSchemaStore": 34,
    "Glaiveai2K": 34,
}
PROBES = [{}, [], "", 0, 1.5, True, None, {"a": 1}, ["a"]]


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def list_git(git_dir, rev, category):
    out = subprocess.run(["git", "--git-dir", git_dir, "ls-tree", "-r", "--format=%(objectname) %(path)", rev,
                          f"data/{category}/"], capture_output=True, text=True, check=True).stdout
    entries = []
    for line in out.splitlines():
        sha, path = line.split(" ", 1)
        if path.endswith(".json"):
            entries.append((Path(path).name, sha))
    return entries


def read_git_blobs(git_dir, shas):
    """{sha: bytes, or None when the object is missing} through one git cat-file --batch."""
    process = subprocess.run(["git", "--git-dir", git_dir, "cat-file", "--batch"], input="\n".join(shas).encode() + b"\n",
                             capture_output=True, check=True)
    data, pos, blobs = process.stdout, 0, {}
    for sha in shas:
        end = data.index(b"\n", pos)
        header = data[pos:end].split()
        if len(header) < 3:  # "<sha> missing": a large file left out of a partial copy
            blobs[sha] = None
            pos = end + 1
            continue
        size = int(header[2])
        blobs[sha] = data[end + 1:end + 1 + size]
        pos = end + 1 + size + 1
    return blobs


def load_category(source, rev, category):
    """[(file name, bytes)] sorted by name."""
    folder = Path(source) / "data" / category
    if folder.is_dir():
        return sorted((p.name, p.read_bytes()) for p in folder.glob("*.json"))
    entries = list_git(source, rev, category)
    blobs = read_git_blobs(source, sorted({sha for _, sha in entries}))
    return sorted((name, blobs[sha]) for name, sha in entries)


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def why_not(schema, text, max_bytes):
    """None if the schema is usable, else the reason."""
    if not isinstance(schema, dict):
        return "not an object"
    if len(text.encode()) > max_bytes:
        return "too large"
    if any(not ref.startswith("#") for ref in refs(schema)):
        return "non-local $ref"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown $schema URIs fall back to the default, with a DeprecationWarning
        cls = validators.validator_for(schema, default=validators.Draft202012Validator)
        try:
            cls.check_schema(schema)
        except jsonschema.SchemaError as error:
            return f"invalid schema ({error.message[:60]})"
        except Exception as error:  # noqa: BLE001  (e.g. a pattern re cannot compile)
            return f"invalid schema ({type(error).__name__})"
        validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        for probe in PROBES:
            try:
                for _ in validator.iter_errors(probe):
                    pass
            except Exception as error:  # noqa: BLE001
                return f"validator fails ({type(error).__name__})"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", help="JSONSchemaBench checkout or bare git directory")
    parser.add_argument("--rev", default="HEAD", help="revision to read from a git directory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-bytes", type=int, default=20000, help="largest compact schema kept")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "schemas.jsonl"))
    args = parser.parse_args()

    lines, total = [], 0
    print(f"{'category':<16} {'files':>6} {'usable':>6} {'chosen':>6} {'bytes':>8}  dropped")
    for category, count in PER_CATEGORY.items():
        files = load_category(args.source, args.rev, category)
        usable, seen, dropped = [], set(), {}
        for name, raw in files:
            if raw is None:
                dropped["missing"] = dropped.get("missing", 0) + 1
                continue
            try:
                schema = json.loads(raw)
            except ValueError:
                dropped["not JSON"] = dropped.get("not JSON", 0) + 1
                continue
            text = compact(schema)
            reason = "duplicate" if text in seen else why_not(schema, text, args.max_bytes)
            seen.add(text)
            if reason:
                key = reason.split(" (")[0]
                dropped[key] = dropped.get(key, 0) + 1
                continue
            usable.append((name, schema, text))
        n = min(count, len(usable))
        step = len(usable) / n if n else 1
        offset = random.Random(f"{args.seed}:{category}").random() * step
        chosen = [usable[int(offset + i * step)] for i in range(n)]
        size = 0
        for name, schema, text in chosen:
            line = compact({"id": f"{category}/{name}", "category": category, "schema": schema})
            lines.append(line)
            size += len(line.encode()) + 1
        total += size
        print(f"{category:<16} {len(files):>6} {len(usable):>6} {len(chosen):>6} {size:>8}  "
              + ", ".join(f"{k} {v}" for k, v in sorted(dropped.items())))
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{'total':<16} {'':>6} {'':>6} {len(lines):>6} {total:>8}  -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
