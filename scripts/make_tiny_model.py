#!/usr/bin/env python3
"""A tiny random LLaMA (numpy, seeded) and its reference outputs from Hugging Face transformers.

Run once where torch is installed; the outputs are committed (CI has no torch):
  python scripts/make_tiny_model.py [--out Tests/Fixtures]

Writes
  tiny-llama/config.json, tiny-llama/model.safetensors   F32, HF tensor names, tied embeddings, no tokenizer
  tiny_reference.json   for 3 token sequences: logits at every position (6 significant digits) and a
                        20-token greedy continuation (no eos stop), with per-step top-1/top-2 margins.

Shapes: vocab 96, hidden 64, 4 heads / 2 kv heads (head_dim 16), intermediate 80, 3 layers.
"""
import argparse
import json
import os
import sys

import numpy as np
from safetensors.numpy import save_file

SEED = 20240601
CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "attention_bias": False,
    "attention_dropout": 0.0,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "head_dim": 16,
    "hidden_act": "silu",
    "hidden_size": 64,
    "initializer_range": 0.2,
    "intermediate_size": 80,
    "max_position_embeddings": 256,
    "mlp_bias": False,
    "num_attention_heads": 4,
    "num_hidden_layers": 3,
    "num_key_value_heads": 2,
    "pretraining_tp": 1,
    "rms_norm_eps": 1e-06,
    "rope_scaling": None,
    "rope_theta": 10000.0,
    "tie_word_embeddings": True,
    "torch_dtype": "float32",
    "use_cache": True,
    "vocab_size": 96,
}
NUM_NEW_TOKENS = 20
SEQUENCE_LENGTHS = [("short", 5), ("medium", 17), ("long", 40)]


def make_weights(rng):
    c = CONFIG
    hidden, inter, vocab, hd = c["hidden_size"], c["intermediate_size"], c["vocab_size"], c["head_dim"]
    q_rows, kv_rows = c["num_attention_heads"] * hd, c["num_key_value_heads"] * hd
    w = lambda *shape: rng.normal(0.0, 0.2, shape).astype(np.float32)   # [out, in], HF Linear layout
    norm = lambda: (1.0 + rng.normal(0.0, 0.1, hidden)).astype(np.float32)
    tensors = {"model.embed_tokens.weight": w(vocab, hidden)}
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}"
        tensors[f"{p}.input_layernorm.weight"] = norm()
        tensors[f"{p}.self_attn.q_proj.weight"] = w(q_rows, hidden)
        tensors[f"{p}.self_attn.k_proj.weight"] = w(kv_rows, hidden)
        tensors[f"{p}.self_attn.v_proj.weight"] = w(kv_rows, hidden)
        tensors[f"{p}.self_attn.o_proj.weight"] = w(hidden, q_rows)
        tensors[f"{p}.post_attention_layernorm.weight"] = norm()
        tensors[f"{p}.mlp.gate_proj.weight"] = w(inter, hidden)
        tensors[f"{p}.mlp.up_proj.weight"] = w(inter, hidden)
        tensors[f"{p}.mlp.down_proj.weight"] = w(hidden, inter)
    tensors["model.norm.weight"] = norm()
    return tensors


def sig6(x):
    return float(f"{float(x):.6g}")


def reference(model_dir, sequences):
    import tokenizers
    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    out = []
    with torch.no_grad():
        for name, ids in sequences:
            logits = model(torch.tensor([ids])).logits[0]                       # [T, vocab]
            gen = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                 do_sample=False, max_new_tokens=NUM_NEW_TOKENS, eos_token_id=None,
                                 pad_token_id=0, output_logits=True, return_dict_in_generate=True,
                                 temperature=None, top_p=None, top_k=None)
            new_ids = gen.sequences[0, len(ids):].tolist()
            assert len(new_ids) == NUM_NEW_TOKENS, f"{name}: generate stopped early"
            margins = [float(torch.topk(s[0], 2).values[0] - torch.topk(s[0], 2).values[1]) for s in gen.logits]
            # Noise reference: a full forward over prompt + continuation vs the cached decode logits.
            full = model(gen.sequences).logits[0, len(ids) - 1:-1]
            step_logits = torch.stack([s[0] for s in gen.logits])
            noise = float((full - step_logits).abs().max())
            print(f"  {name}: len {len(ids)}, greedy {new_ids}, min margin {min(margins):.4f}, "
                  f"full-vs-cached {noise:.2e}", flush=True)
            out.append({"name": name, "input_ids": ids,
                        "logits": [[sig6(v) for v in row] for row in logits.tolist()],
                        "greedy_ids": new_ids, "min_margin": min(margins),
                        "margins": [round(m, 6) for m in margins],
                        "full_vs_cached_max_abs_diff": noise})
    versions = {"torch": torch.__version__, "transformers": transformers.__version__,
                "tokenizers": tokenizers.__version__, "numpy": np.__version__}
    return out, versions


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(root, "Tests", "Fixtures"))
    args = ap.parse_args()

    rng = np.random.default_rng(SEED)
    model_dir = os.path.join(args.out, "tiny-llama")
    os.makedirs(model_dir, exist_ok=True)
    save_file(make_weights(rng), os.path.join(model_dir, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
        f.write("\n")

    sequences = [(name, rng.integers(0, CONFIG["vocab_size"], n).tolist()) for name, n in SEQUENCE_LENGTHS]
    results, versions = reference(model_dir, sequences)
    with open(os.path.join(args.out, "tiny_reference.json"), "w") as f:
        json.dump({"model": "tiny-llama", "seed": SEED, "dtype": "float32", "attn_implementation": "eager",
                   "logits_rounding": "6 significant digits", "num_new_tokens": NUM_NEW_TOKENS,
                   "stops_at_eos": False, "versions": versions, "sequences": results}, f)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
