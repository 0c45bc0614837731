#!/usr/bin/env python3
"""Write a BF16 GGUF for llama.cpp from our Hugging Face model directory (weights/smol-135m), without torch.

The reverse of scripts/convert_gguf.py, and what llama.cpp's convert_hf_to_gguf.py would write for this model:
the same metadata keys, the matrices as BF16 (exactly our checkpoint's values), norm weights as F32, no
output.weight (tied embeddings), and the Q/K rows permuted the way llama.cpp's converter does (GGUF pairs RoPE
dimensions (2i, 2i+1); Hugging Face rotates halves (i, i + d/2)). Quantize the result with llama-quantize.

  .venv-weights/bin/python scripts/make_gguf.py weights/smol-135m /tmp/gguf/smol-135m-bf16.gguf
  llama-quantize /tmp/gguf/smol-135m-bf16.gguf /tmp/gguf/smol-135m-q8_0.gguf Q8_0

Needs gguf (0.19), numpy; reads model.safetensors itself (no bf16 support needed from numpy).
"""
import argparse
import json
import struct
from pathlib import Path

import numpy as np
import gguf

LAYER_NAMES = {
    "input_layernorm": "attn_norm",
    "post_attention_layernorm": "ffn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
CONTROL, NORMAL = 3, 1  # llama.cpp token types


def read_safetensors(path):
    """{name: (dtype string, shape, raw bytes)} of a .safetensors file."""
    data = Path(path).read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len])
    base = 8 + header_len
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        out[name] = (info["dtype"], info["shape"], data[base + start:base + end])
    return out


def bf16_array(dtype, shape, raw):
    """The tensor's bf16 bit patterns as uint16 [shape]."""
    if dtype != "BF16":
        raise SystemExit(f"make_gguf: expected BF16 tensors, got {dtype}")
    return np.frombuffer(raw, dtype=np.uint16).reshape(shape)


def bf16_to_f32(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def permute_rope_rows(w, num_heads):
    """llama.cpp's convert permute(): rows (h, d/2, 2) of rotate-half order -> (h, 2, d/2) swapped to pairs."""
    return w.reshape(num_heads, 2, w.shape[0] // num_heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def gguf_name(hf_name):
    if hf_name == "model.embed_tokens.weight":
        return "token_embd.weight"
    if hf_name == "model.norm.weight":
        return "output_norm.weight"
    if hf_name == "lm_head.weight":
        return "output.weight"
    parts = hf_name.split(".")  # model.layers.N.<module...>.weight
    module = ".".join(parts[3:-1])
    if parts[:2] == ["model", "layers"] and module in LAYER_NAMES:
        return f"blk.{parts[2]}.{LAYER_NAMES[module]}.{parts[-1]}"
    raise SystemExit(f"make_gguf: unexpected tensor {hf_name}")


def add_metadata(writer, config, tokenizer, tokenizer_config, name):
    writer.add_type("model")
    writer.add_name(name)
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(config["num_attention_heads"])
    writer.add_head_count_kv(config["num_key_value_heads"])
    writer.add_rope_freq_base(config["rope_theta"])
    writer.add_layer_norm_rms_eps(config["rms_norm_eps"])
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_BF16)
    writer.add_vocab_size(config["vocab_size"])
    writer.add_rope_dimension_count(config.get("head_dim", config["hidden_size"] // config["num_attention_heads"]))

    model = tokenizer["model"]
    if model["type"] != "BPE":
        raise SystemExit(f"make_gguf: only byte-level BPE tokenizers are supported, not {model['type']}")
    vocab = model["vocab"]
    tokens = [None] * len(vocab)
    for token, index in vocab.items():
        tokens[index] = token
    if None in tokens or len(tokens) != config["vocab_size"]:
        raise SystemExit(f"make_gguf: vocab has {len(vocab)} ids, config says {config['vocab_size']}")
    special = {t["id"] for t in tokenizer["added_tokens"] if t.get("special")}
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    writer.add_add_space_prefix(False)
    writer.add_add_bos_token(bool(tokenizer_config.get("add_bos_token", False)))
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")  # llama.cpp's name for SmolLM's pre-tokenizer (digits split, then GPT-2)
    writer.add_token_list(tokens)
    writer.add_token_types([CONTROL if i in special else NORMAL for i in range(len(tokens))])
    writer.add_token_merges(merges)
    by_content = {t["content"]: t["id"] for t in tokenizer["added_tokens"]}
    writer.add_bos_token_id(config["bos_token_id"])
    writer.add_eos_token_id(config["eos_token_id"])
    writer.add_unk_token_id(by_content.get(tokenizer_config.get("unk_token"), 0))
    writer.add_pad_token_id(config.get("pad_token_id", config["eos_token_id"]))
    if tokenizer_config.get("chat_template"):
        writer.add_chat_template(tokenizer_config["chat_template"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir", type=Path, help="config.json, tokenizer.json, tokenizer_config.json, model.safetensors")
    parser.add_argument("output", type=Path, help="the .gguf to write")
    parser.add_argument("--name", default="SmolLM2 135M Instruct")
    args = parser.parse_args()

    config = json.loads((args.model_dir / "config.json").read_text())
    tokenizer = json.loads((args.model_dir / "tokenizer.json").read_text())
    tokenizer_config = json.loads((args.model_dir / "tokenizer_config.json").read_text())
    if config.get("model_type") != "llama":
        raise SystemExit(f"make_gguf: model_type {config.get('model_type')!r}, expected 'llama'")
    tensors = read_safetensors(args.model_dir / "model.safetensors")
    num_heads, num_kv_heads = config["num_attention_heads"], config["num_key_value_heads"]

    writer = gguf.GGUFWriter(args.output, "llama")
    add_metadata(writer, config, tokenizer, tokenizer_config, args.name)
    # convert_hf_to_gguf's order: embedding, then each layer, then the final norm.
    def order(name):
        parts = name.split(".")
        layer = int(parts[2]) if parts[1] == "layers" else (-1 if "embed" in name else 10**9)
        return (layer, name)
    for name in sorted(tensors, key=order):
        if name == "lm_head.weight" and config.get("tie_word_embeddings"):
            continue
        dtype, shape, raw = tensors[name]
        bits = bf16_array(dtype, shape, raw)
        if name.endswith("self_attn.q_proj.weight"):
            bits = permute_rope_rows(bits, num_heads)
        elif name.endswith("self_attn.k_proj.weight"):
            bits = permute_rope_rows(bits, num_kv_heads)
        if bits.ndim == 1:
            writer.add_tensor(gguf_name(name), bf16_to_f32(bits))  # norms stay F32, as llama.cpp's converter writes them
        else:
            writer.add_tensor(gguf_name(name), np.ascontiguousarray(bits), raw_dtype=gguf.GGMLQuantizationType.BF16)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(f"wrote {args.output} ({args.output.stat().st_size / 2**20:.1f} MiB, {len(writer.tensors[0]) if writer.tensors else '?'} tensors)")


if __name__ == "__main__":
    main()
