#!/usr/bin/env python3
"""Writes seed inputs for one fuzz target into a corpus directory, from the repository's fixtures.

Usage: fuzz/seeds.py TARGET DIRECTORY   (TARGET: tokenizer, chat-template, safetensors, request)
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
elif target == "request":
    # First byte: the route (RequestFuzzing.routes); the rest is the body.
    chat, completions, tokenize, detokenize = b"\x00", b"\x01", b"\x02", b"\x03"
    hi = {"role": "user", "content": "Hi"}
    bodies = [
        (chat, {"model": "smol-135m", "messages": [{"role": "system", "content": "Be terse."}, hi], "max_tokens": 8}),
        (chat, {"messages": [hi, {"role": "assistant"}, {"role": "developer", "content": [{"type": "text", "text": "a"}]}],
                "stream": True, "stream_options": {"include_usage": True}, "n": 2}),
        (chat, {"messages": [hi], "logprobs": True, "top_logprobs": 3, "max_completion_tokens": 1, "temperature": 0}),
        (chat, {"messages": [hi], "response_format": {"type": "json_object"}, "seed": -1, "logit_bias": {"42": -100}}),
        (chat, {"messages": [hi], "response_format": {"type": "json_schema", "json_schema": {"name": "x", "strict": True,
                "schema": {"type": "object", "properties": {"a": {"type": "string", "pattern": "^[a-z]{1,3}$"},
                                                            "b": {"type": "integer", "minimum": -5, "maximum": 99}},
                           "required": ["a"]}}}}),
        (chat, {"messages": [hi], "prediction": {"type": "content", "content": "Hello there"}, "stop": ["\n", "."],
                "top_p": 0.9, "top_k": 40, "min_p": 0.05, "presence_penalty": 1, "frequency_penalty": -1,
                "repetition_penalty": 1.1, "ignore_eos": True, "skip_special_tokens": False, "speculate": False}),
        (chat, {"messages": [{"role": "tool", "content": "x"}], "tools": [], "tool_choice": "none"}),
        (completions, {"model": "smol-135m", "prompt": "The capital of France is", "max_tokens": 8, "temperature": 0}),
        (completions, {"prompt": ["a", "b"], "n": 3, "echo": True, "max_tokens": 0, "logprobs": 2, "stream": True}),
        (completions, {"prompt": [1, 2, 3], "logprobs": 0, "best_of": 1, "suffix": ""}),
        (completions, {"prompt": [[1, 2], [49151]], "stream": True, "stream_options": {"include_usage": False}}),
        (completions, {"prompt": "x", "response_format": {"type": "json_schema", "json_schema": {"schema": {
            "type": "array", "items": {"enum": ["a", 1, None, True]}, "minItems": 1, "maxItems": 3}}}}),
        (tokenize, {"prompt": "Hello <|im_start|>world", "add_special_tokens": False}),
        (tokenize, {"model": "smol-135m", "prompt": "ünïcödé 🙂"}),
        (detokenize, {"tokens": [1, 2, 504, 49151]}),
        (detokenize, {"model": "other", "tokens": []}),
    ]
    for route, body in bodies:
        write(route + json.dumps(body).encode())
    # Near misses: each should be a clear 4xx.
    for route, text in [
        (chat, b'{"messages":[{"role":"user","content":"Hi"}]'),
        (chat, b'{"messages":[{"role":"user","content":' + b"[" * 70 + b"]" * 70 + b"}]}"),
        (chat, b'{"messages":[{"role":"user","content":"\ud800 \u0000"}],"max_tokens":1e400}'),
        (completions, b'{"prompt":"Hi","max_tokens":99999999999999999999}'),
        (completions, b'{"prompt":"Hi","max_tokens":1.5,"n":"2"}'),
        (completions, b'{"prompt":"\xff\xfe\xc0\x80"}'),
        (completions, b'{"prompt":[-1,1e3]}'),
        (tokenize, b'{"prompt":null}'),
        (detokenize, b'[1,2,3]'),
    ]:
        write(route + text)
else:
    sys.exit(f"unknown target {target}")
