#!/usr/bin/env python3
"""Compares spec_bench.py summaries (--json files): speedup and whether the generated texts are identical.

  python3 scripts/spec_compare.py off.json ngram.json            # B over A: output tok/s, decode tok/s, same texts?
  python3 scripts/spec_compare.py --matrix DIR                   # the markdown table of scripts/spec_matrix.sh

Greedy outputs must be identical with speculation on and off; with --prediction too. Exit status 1 when
two greedy runs' texts differ.
"""
import argparse
import glob
import json
import os
import statistics
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def texts(summary):
    return {(r["id"], r["repeat"]): r["text"] for r in summary.get("results", []) if r.get("ok")}


def compare(a, b):
    """(tok/s ratio, decode ratio, identical, differing ids) of B over A."""
    ratio = lambda key: b[key] / a[key] if a.get(key) and b.get(key) else None
    ta, tb = texts(a), texts(b)
    common = sorted(set(ta) & set(tb))
    differing = [f"{k[0]}#{k[1]}" for k in common if ta[k] != tb[k]]
    identical = bool(common) and not differing and set(ta) == set(tb)
    return ratio("output_tok_per_s"), ratio("mean_decode_tok_per_s"), identical, differing


def fmt(value, spec="{:.2f}"):
    return "-" if value is None else spec.format(value)


def first_difference(x, y):
    n = next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
    return n, x[max(0, n - 30):n + 30], y[max(0, n - 30):n + 30]


def pairwise(a_path, b_path):
    a, b = load(a_path), load(b_path)
    speed, decode, identical, differing = compare(a, b)
    name = lambda s, p: s.get("label") or os.path.basename(p)
    print(f"{name(b, b_path)} over {name(a, a_path)}: output tok/s {fmt(a['output_tok_per_s'], '{:.1f}')} -> "
          f"{fmt(b['output_tok_per_s'], '{:.1f}')} = {fmt(speed)}x; mean decode tok/s "
          f"{fmt(a.get('mean_decode_tok_per_s'), '{:.1f}')} -> {fmt(b.get('mean_decode_tok_per_s'), '{:.1f}')} = {fmt(decode)}x")
    print(f"  outputs identical: {'yes' if identical else 'NO'} ({len(texts(a))} vs {len(texts(b))} texts"
          + (f"; differ: {', '.join(differing[:10])}" if differing else "") + ")")
    ta, tb = texts(a), texts(b)
    for key in differing[:3]:
        k = tuple(key.rsplit("#", 1)); k = (k[0], int(k[1]))
        at, x, y = first_difference(ta[k], tb[k])
        print(f"  {key} first differs at char {at}:\n    A: {x!r}\n    B: {y!r}")
    for s, p in ((a, a_path), (b, b_path)):
        spec = s.get("spec")
        if spec:
            print(f"  {name(s, p)}: acceptance {fmt(spec['acceptance_rate'], '{:.3f}')}, accepted per draft "
                  f"{fmt(spec['accepted_per_draft'])}")
    greedy = a.get("temperature") == 0 and b.get("temperature") == 0
    return 1 if greedy and not identical else 0


def matrix(directory):
    """Table over DIR/<pair>/<mode>.{c1,c16,c16x}.json written by spec_matrix.sh; ratios within a pair, then medians."""
    rows = {}  # mode -> list of per-pair dicts
    order = []
    for pair_dir in sorted(glob.glob(os.path.join(directory, "pair*"))):
        runs = {}
        for path in sorted(glob.glob(os.path.join(pair_dir, "*.c1.json"))):
            mode = os.path.basename(path)[:-len(".c1.json")]
            runs[mode] = {"c1": load(path)}
            for suffix in ("c16", "c16x"):
                other = os.path.join(pair_dir, f"{mode}.{suffix}.json")
                if os.path.exists(other):
                    runs[mode][suffix] = load(other)
            metrics = os.path.join(pair_dir, f"{mode}.c16.spec.json")
            if os.path.exists(metrics):
                runs[mode]["c16spec"] = load(metrics)
        base = runs.get("off")
        for mode, run in runs.items():
            if mode not in order:
                order.append(mode)
            entry = {"c1": run["c1"]["output_tok_per_s"], "c1_decode": run["c1"].get("mean_decode_tok_per_s"),
                     "acc": (run["c1"].get("spec") or {}).get("acceptance_rate"),
                     "per_draft": (run["c1"].get("spec") or {}).get("accepted_per_draft"),
                     "c16": run.get("c16", {}).get("output_tok_per_s"),
                     "c16_acc": (run.get("c16spec") or {}).get("acceptance_rate"),
                     "c16x": run.get("c16x", {}).get("output_tok_per_s"),
                     "pred": run["c1"].get("prediction_usage")}
            if base:
                entry["c1_x"] = entry["c1"] / runs["off"]["c1"]["output_tok_per_s"]
                entry["identical"] = compare(runs["off"]["c1"], run["c1"])[2]
                if entry["c16"] and base.get("c16"):
                    entry["c16_x"] = entry["c16"] / base["c16"]["output_tok_per_s"]
                if entry["c16x"] and base.get("c16x"):
                    entry["c16x_x"] = entry["c16x"] / base["c16x"]["output_tok_per_s"]
            rows.setdefault(mode, []).append(entry)
    if not rows:
        print(f"no runs under {directory}", file=sys.stderr)
        return 1
    med = lambda values: statistics.median(values) if values else None
    col = lambda entries, key: med([e[key] for e in entries if e.get(key) is not None])
    preferred = ["off", "ngram", "draft", "off+prediction", "ngram+prediction", "draft+prediction"]
    order.sort(key=lambda m: (preferred.index(m) if m in preferred else len(preferred), m))
    pairs = max(len(v) for v in rows.values())
    print(f"{pairs} pair(s); tok/s are medians over pairs, × off the median of the per-pair ratios; "
          "acceptance = accepted / draft tokens (server metrics)\n")
    print("| mode | c=1 extractive tok/s | × off | acceptance | accepted/draft | same text as off | "
          "c=16 load tok/s | × off | c=16 acceptance | c=16 extractive tok/s | × off |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for mode in order:
        e = rows[mode]
        same = [x.get("identical") for x in e if "identical" in x]
        print(f"| {mode} | {fmt(col(e, 'c1'), '{:.1f}')} | {fmt(col(e, 'c1_x'))} | {fmt(col(e, 'acc'), '{:.3f}')} | "
              f"{fmt(col(e, 'per_draft'))} | {('yes' if all(same) else 'NO') if same else '-'} | "
              f"{fmt(col(e, 'c16'), '{:.1f}')} | {fmt(col(e, 'c16_x'))} | {fmt(col(e, 'c16_acc'), '{:.3f}')} | "
              f"{fmt(col(e, 'c16x'), '{:.1f}')} | {fmt(col(e, 'c16x_x'))} |")
    for mode in order:
        usage = [x["pred"] for x in rows[mode] if x.get("pred")]
        if usage:
            u = usage[-1]
            print(f"\n{mode}: usage accepted_prediction_tokens {u['accepted_prediction_tokens']} + rejected "
                  f"{u['rejected_prediction_tokens']} = {u['accepted_prediction_tokens'] + u['rejected_prediction_tokens']}"
                  f" (prediction tokens {u['prediction_tokens']}; last pair, c=1)")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", help="A.json B.json: spec_bench.py --json summaries")
    parser.add_argument("--matrix", metavar="DIR", help="print the table of a spec_matrix.sh output directory")
    args = parser.parse_args()
    if args.matrix:
        return matrix(args.matrix)
    if len(args.files) != 2:
        parser.error("give two summaries, A.json B.json (or --matrix DIR)")
    return pairwise(*args.files)


if __name__ == "__main__":
    sys.exit(main())
