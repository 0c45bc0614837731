#!/usr/bin/env python3
"""Convert a llama.cpp GGUF (LLaMA architecture, gpt2-style BPE vocab) into a Hugging Face model directory.

Output (the layout transformers and tokenizers load unchanged):
  config.json, generation_config.json, model.safetensors (BF16), tokenizer.json, tokenizer_config.json

Dequantization is gguf's own (llama.cpp's reader); we only rename tensors and undo the Q/K row
permutation llama.cpp's converter applies (GGUF interleaves RoPE pairs; HF uses rotate-half).
"""
import argparse
import json
import os
import sys

import ml_dtypes
import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize
from safetensors.numpy import save_file


def field(reader, key, default=None):
    f = reader.fields.get(key)
    return default if f is None else f.contents()


def unpermute_rope_rows(w, num_heads):
    """Inverse of llama.cpp's convert permute(): rows (h, 2, d/2) -> (h, d/2, 2) swapped back."""
    rows = w.shape[0]
    return w.reshape(num_heads, rows // num_heads // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


LAYER_NAMES = {
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}


def hf_name(name):
    if name == "token_embd.weight":
        return "model.embed_tokens.weight"
    if name == "output_norm.weight":
        return "model.norm.weight"
    if name == "output.weight":
        return "lm_head.weight"
    parts = name.split(".")  # blk.N.kind.weight
    if parts[0] == "blk" and parts[2] in LAYER_NAMES:
        return f"model.layers.{parts[1]}.{LAYER_NAMES[parts[2]]}.{parts[3]}"
    raise SystemExit(f"convert: unexpected tensor {name}")


def convert_tensors(reader, num_heads, num_kv_heads):
    tensors = {}
    total = len(reader.tensors)
    for i, t in enumerate(reader.tensors, 1):
        w = dequantize(t.data, t.tensor_type).astype(np.float32).reshape(tuple(reversed([int(x) for x in t.shape])))
        if t.name.endswith("attn_q.weight"):
            w = unpermute_rope_rows(w, num_heads)
        elif t.name.endswith("attn_k.weight"):
            w = unpermute_rope_rows(w, num_kv_heads)
        tensors[hf_name(t.name)] = np.ascontiguousarray(w.astype(ml_dtypes.bfloat16))
        if i % 30 == 0 or i == total:
            print(f"  dequantized {i}/{total} tensors", flush=True)
    return tensors


def tokenizer_json(reader):
    tokens = field(reader, "tokenizer.ggml.tokens")
    types = field(reader, "tokenizer.ggml.token_type")
    merges = field(reader, "tokenizer.ggml.merges")
    pre = field(reader, "tokenizer.ggml.pre")
    if field(reader, "tokenizer.ggml.model") != "gpt2":
        raise SystemExit("convert: only gpt2-style byte-level BPE vocabularies are supported")
    if pre != "smollm":
        raise SystemExit(f"convert: pre-tokenizer '{pre}' not supported (expected smollm)")
    CONTROL = 3
    added = [
        {"id": i, "content": tok, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for i, (tok, ty) in enumerate(zip(tokens, types)) if ty == CONTROL
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        # tokenizer.ggml.pre = smollm: llama.cpp's name for this exact upstream pre-tokenizer.
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Digits", "individual_digits": True},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            ],
        },
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": {tok: i for i, tok in enumerate(tokens)},
            "merges": [m.split(" ", 1) for m in merges],
        },
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("gguf")
    ap.add_argument("out_dir")
    args = ap.parse_args()

    reader = GGUFReader(args.gguf)
    arch = field(reader, "general.architecture")
    if arch != "llama":
        raise SystemExit(f"convert: architecture '{arch}' not supported")
    p = lambda k: field(reader, f"llama.{k}")
    num_heads, num_kv_heads, hidden = int(p("attention.head_count")), int(p("attention.head_count_kv")), int(p("embedding_length"))
    tokens = field(reader, "tokenizer.ggml.tokens")
    bos, eos = int(field(reader, "tokenizer.ggml.bos_token_id")), int(field(reader, "tokenizer.ggml.eos_token_id"))
    pad = int(field(reader, "tokenizer.ggml.padding_token_id", eos))
    unk = int(field(reader, "tokenizer.ggml.unknown_token_id", 0))
    tied = not any(t.name == "output.weight" for t in reader.tensors)

    os.makedirs(args.out_dir, exist_ok=True)
    print(f"  {len(reader.tensors)} tensors, {p('block_count')} layers, vocab {len(tokens)}", flush=True)
    tensors = convert_tensors(reader, num_heads, num_kv_heads)
    save_file(tensors, os.path.join(args.out_dir, "model.safetensors"), metadata={"format": "pt"})

    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "pad_token_id": pad,
        "head_dim": hidden // num_heads,
        "hidden_act": "silu",
        "hidden_size": hidden,
        "initializer_range": 0.02,
        "intermediate_size": int(p("feed_forward_length")),
        "max_position_embeddings": int(p("context_length")),
        "mlp_bias": False,
        "num_attention_heads": num_heads,
        "num_hidden_layers": int(p("block_count")),
        "num_key_value_heads": num_kv_heads,
        "pretraining_tp": 1,
        "rms_norm_eps": float(f"{p('attention.layer_norm_rms_epsilon'):.6g}"),
        "rope_scaling": None,
        "rope_theta": float(p("rope.freq_base")),
        "tie_word_embeddings": tied,
        "torch_dtype": "bfloat16",
        "use_cache": True,
        "vocab_size": len(tokens),
    }
    generation = {"bos_token_id": bos, "eos_token_id": eos, "pad_token_id": pad}
    tok_config = {
        "add_bos_token": bool(field(reader, "tokenizer.ggml.add_bos_token", False)),
        "add_prefix_space": False,
        "added_tokens_decoder": {
            str(t["id"]): {k: t[k] for k in ("content", "lstrip", "normalized", "rstrip", "single_word", "special")}
            for t in tokenizer_json(reader)["added_tokens"]
        },
        "bos_token": tokens[bos],
        "eos_token": tokens[eos],
        "pad_token": tokens[pad],
        "unk_token": tokens[unk],
        "chat_template": field(reader, "tokenizer.chat_template"),
        "clean_up_tokenization_spaces": False,
        "model_max_length": int(p("context_length")),
        "tokenizer_class": "GPT2Tokenizer",
        "vocab_size": len(tokens),
    }
    for name, obj in [("config.json", config), ("generation_config.json", generation),
                      ("tokenizer.json", tokenizer_json(reader)), ("tokenizer_config.json", tok_config)]:
        with open(os.path.join(args.out_dir, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False, indent=2)
            f.write("\n")
    print(f"  wrote {args.out_dir}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
