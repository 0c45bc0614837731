#!/usr/bin/env python3
"""Reference ids for the SentencePiece tokenizer tests, from Debian's spm_encode / spm_decode (the same
libsentencepiece the server links), plus a tiny random LLaMA directory that uses the tokenizer.
Called by make_spm_fixtures.sh after spm_train; writes Tests/Fixtures/spm/spm_ids.json and
Tests/Fixtures/spm-llama/."""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from safetensors.numpy import save_file

OUT = sys.argv[1]
ROOT = os.path.dirname(os.path.dirname(OUT.rstrip("/")))  # .../Tests
MODEL = os.path.join(OUT, "tokenizer.model")

BASE = [
    "", " ", "  ", "a", "A", "Hello world", "Hello world!", " Hello", "  leading spaces", "trailing spaces   ",
    "The quick brown fox jumps over the lazy dog.", "It was the best of times.", "tokens per second",
    "multiple   spaces   between", "tab\tseparated\tvalues", "carriage\rreturn", "12345", "3.14159", "1,000,000",
    "2026-11-23 12:30", "x = 42 + y * 7", "def add(a, b): return a + b", "if (x > 0 && y < 10) { return x; }",
    "SELECT * FROM users;", "Le café est très bon", "crème brûlée", "Die Straße ist lang", "Über den Wolken",
    "¿Dónde está la estación?", "¡Qué día!", "naïve façade", "Ελληνικά γράμματα", "Привет, мир!", "日本語のテキスト",
    "中文文本测试", "한국어 텍스트", "مرحبا بالعالم", "שלום עולם", "हिन्दी पाठ", "ภาษาไทย", "emoji 😀", "👍🏽 thumbs",
    "👨‍👩‍👧‍👦 family", "🏳️‍🌈 flag", "e\u0301 combining", "a\u0308o\u0308u\u0308", "Z\u0351\u0352\u0353algo", "∑ x² dx ≈ ∞",
    "→ ← ↑ ↓", "€100 and £50 and ¥1000", "©®™", "\u00a0non-breaking\u00a0space", "zero\u200bwidth", "ﬁ ligature",
    "ＦＵＬＬＷＩＤＴＨ", "<s> literal angle brackets </s>", "<unk>", "▁ already a marker", "__init__", "snake_case_name",
    "CamelCaseName", "URL: https://example.com/path?q=1&r=2", "email@example.com", "#hashtag @mention", "(((nested)))",
    "\"quoted\" and 'single'", "semi;colon:colon", "a" * 50, "ab" * 40, "supercalifragilisticexpialidocious",
    "Paris is the capital of France", "the the the the", "Once upon a time", "Little Red Riding Hood",
]


def generated(rng, count):
    alphabet = list("abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.,!?'-éüñçøß日本中文😀👍🏽ΩЖ\t")
    words = "the of and to in is was it for on with as at by from language model token server cache block".split()
    out = []
    for _ in range(count):
        kind = rng.randrange(3)
        if kind == 0:
            out.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 40))))
        elif kind == 1:
            out.append(" ".join(rng.choice(words) for _ in range(rng.randrange(1, 15))))
        else:
            out.append(rng.choice(words) + " " * rng.randrange(1, 5) + rng.choice(["日本", "😀", "ß", "42", "x"]))
    return out


def run(tool, args, lines):
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", delete=False, newline="\n") as f:
        f.write("".join(line + "\n" for line in lines))
        path = f.name
    result = subprocess.run([tool, f"--model={MODEL}", *args, path], check=True, capture_output=True)
    os.unlink(path)
    out = result.stdout.decode("utf-8").split("\n")
    assert out[-1] == "", "expected a trailing newline"
    return out[:-1]


def main():
    strings = BASE + generated(random.Random(20261123), 160)
    assert all("\n" not in s for s in strings), "spm_encode reads lines"
    ids = [[int(x) for x in line.split()] for line in run("spm_encode", ["--output_format=id"], strings)]
    decoded = run("spm_decode", ["--input_format=id"], [" ".join(map(str, row)) for row in ids])
    version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "sentencepiece"], capture_output=True, text=True).stdout
    with open(os.path.join(OUT, "spm_ids.json"), "w", encoding="utf-8") as f:
        json.dump({"tool": f"spm_encode/spm_decode (Debian sentencepiece {version})",
                   "cases": [{"text": s, "ids": i, "decoded": d} for s, i, d in zip(strings, ids, decoded)]},
                  f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"spm fixtures: {len(strings)} strings")

    # A tiny random LLaMA that uses this tokenizer, for end-to-end serving tests.
    vocab = int(os.environ.get("SPM_VOCAB_SIZE", "800"))  # make_spm_fixtures.sh passes spm_train's --vocab_size
    llama = os.path.join(ROOT, "Fixtures", "spm-llama")
    os.makedirs(llama, exist_ok=True)
    rng = np.random.default_rng(7)
    hidden, layers, heads, kv_heads, inter = 64, 2, 4, 2, 96
    head_dim = hidden // heads
    normal = lambda *shape: (rng.standard_normal(shape) * 0.2).astype(np.float32)
    tensors = {"model.embed_tokens.weight": normal(vocab, hidden),
               "model.norm.weight": (1 + rng.standard_normal(hidden) * 0.1).astype(np.float32)}
    for i in range(layers):
        p = f"model.layers.{i}."
        tensors[p + "input_layernorm.weight"] = (1 + rng.standard_normal(hidden) * 0.1).astype(np.float32)
        tensors[p + "post_attention_layernorm.weight"] = (1 + rng.standard_normal(hidden) * 0.1).astype(np.float32)
        tensors[p + "self_attn.q_proj.weight"] = normal(heads * head_dim, hidden)
        tensors[p + "self_attn.k_proj.weight"] = normal(kv_heads * head_dim, hidden)
        tensors[p + "self_attn.v_proj.weight"] = normal(kv_heads * head_dim, hidden)
        tensors[p + "self_attn.o_proj.weight"] = normal(hidden, heads * head_dim)
        tensors[p + "mlp.gate_proj.weight"] = normal(inter, hidden)
        tensors[p + "mlp.up_proj.weight"] = normal(inter, hidden)
        tensors[p + "mlp.down_proj.weight"] = normal(hidden, inter)
    save_file(tensors, os.path.join(llama, "model.safetensors"), metadata={"format": "pt"})
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": vocab,
              "hidden_size": hidden, "intermediate_size": inter, "num_hidden_layers": layers,
              "num_attention_heads": heads, "num_key_value_heads": kv_heads, "head_dim": head_dim,
              "hidden_act": "silu", "max_position_embeddings": 512, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
              "rope_scaling": None, "tie_word_embeddings": True, "bos_token_id": 1, "eos_token_id": 2}
    tokenizer_config = {
        "add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
        "tokenizer_class": "LlamaTokenizer", "model_max_length": 512,
        "chat_template": "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
                         "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ ' ' + message['content'] + eos_token }}"
                         "{% endif %}{% endfor %}",
    }
    for name, obj in [("config.json", config), ("tokenizer_config.json", tokenizer_config)]:
        with open(os.path.join(llama, name), "w") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")
    shutil.copy(MODEL, os.path.join(llama, "tokenizer.model"))
    print(f"wrote {llama}")


if __name__ == "__main__":
    main()
