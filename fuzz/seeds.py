#!/usr/bin/env python3
"""Writes seed inputs for one fuzz target into a corpus directory, from the repository's fixtures.

Usage: fuzz/seeds.py TARGET DIRECTORY   (TARGET: tokenizer, chat-template, safetensors)
"""
import hashlib, json, os, struct, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
target, directory = sys.argv[1], sys.argv[2]
os.makedirs(directory, exist_ok=True)


def write(data: bytes):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(directory, "seed-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def fixture(*parts):
    return os.path.join(root, "Tests", "Fixtures", *parts)


def safetensors(header: dict, data: bytes) -> bytes:
    text = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(text)) + text + data


if target == "tokenizer":
    for case in json.load(open(fixture("tokenizer_ids.json"))):
        write(case["text"] if isinstance(case, dict) else case)
    for line in open(fixture("spm", "corpus.txt"), encoding="utf-8"):
        write(line)
elif target == "chat-template":
    messages = b"\x00\x00You are terse.\x01\x01Hello {{ name }}!\x01\x02Hi.\x01\x01Bye"
    for case in json.load(open(fixture("tokenizer_jinja.json"))):
        write(case["template"].encode() + messages)
    config = os.path.join(root, "weights", "smol-135m", "tokenizer_config.json")
    if os.path.exists(config):
        write(json.load(open(config))["chat_template"].encode() + messages)
elif target == "safetensors":
    write(safetensors({"__metadata__": {"format": "pt"}, "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                       "b": {"dtype": "BF16", "shape": [1, 2], "data_offsets": [8, 12]}}, bytes(12)))
    write(safetensors({"w": {"dtype": "I8", "shape": [], "data_offsets": [0, 1]},
                       "e": {"dtype": "F16", "shape": [0, 3], "data_offsets": [1, 1]}}, bytes(1)))
    # The fixtures' headers with their data cut to 64 bytes: real names, dtypes and shapes.
    for name in ("tiny-llama", "spm-llama"):
        with open(fixture(name, "model.safetensors"), "rb") as f:
            length = struct.unpack("<Q", f.read(8))[0]
            write(struct.pack("<Q", length) + f.read(length) + bytes(64))
else:
    sys.exit(f"unknown target {target}")
