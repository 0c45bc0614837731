#!/usr/bin/env python3
"""Make a draft model for speculative decoding by keeping some decoder layers of a Hugging Face Llama directory.

A self-speculative draft in the spirit of LayerSkip / Draft & Verify: the same embeddings, tokenizer and final
norm, fewer layers, so it shares the target's vocabulary by construction and costs a fraction of a forward.
Without the fine-tuning those papers do, its guesses are rough; it is the stand-in until quantized copies of the
target exist. Standard library only: tensors are copied byte for byte out of model.safetensors.

  python3 scripts/make_draft_model.py weights/smol-135m weights/smol-135m-draft --layers 0-7,26-29
"""
import argparse
import json
import os
import shutil
import struct


def parse_layers(text, num_layers):
    layers = []
    for part in text.split(","):
        start, _, end = part.partition("-")
        layers += range(int(start), int(end or start) + 1)
    if any(layer < 0 or layer >= num_layers for layer in layers) or len(set(layers)) != len(layers):
        raise SystemExit(f"--layers {text}: layers must be distinct and in 0..{num_layers - 1}")
    return sorted(layers)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source")
    parser.add_argument("dest")
    parser.add_argument("--layers", required=True, help="layers to keep, e.g. 0-7,26-29")
    args = parser.parse_args()

    with open(os.path.join(args.source, "config.json")) as f:
        config = json.load(f)
    keep = parse_layers(args.layers, config["num_hidden_layers"])
    renumber = {old: new for new, old in enumerate(keep)}

    with open(os.path.join(args.source, "model.safetensors"), "rb") as f:
        header_len = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(header_len))
        data_start = 8 + header_len
        out_header, chunks, offset = {}, [], 0
        for name, info in header.items():
            if name == "__metadata__":
                continue
            new_name = name
            if name.startswith("model.layers."):
                index = int(name.split(".")[2])
                if index not in renumber:
                    continue
                new_name = name.replace(f"model.layers.{index}.", f"model.layers.{renumber[index]}.", 1)
            begin, end = info["data_offsets"]
            f.seek(data_start + begin)
            chunks.append(f.read(end - begin))
            out_header[new_name] = {"dtype": info["dtype"], "shape": info["shape"], "data_offsets": [offset, offset + end - begin]}
            offset += end - begin

    os.makedirs(args.dest, exist_ok=True)
    encoded = json.dumps(out_header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(os.path.join(args.dest, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for chunk in chunks:
            f.write(chunk)
    config["num_hidden_layers"] = len(keep)
    with open(os.path.join(args.dest, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    for name in os.listdir(args.source):
        if name not in ("model.safetensors", "config.json") and os.path.isfile(os.path.join(args.source, name)):
            shutil.copy(os.path.join(args.source, name), os.path.join(args.dest, name))
    print(f"draft: {args.dest} with layers {keep} of {args.source}")


if __name__ == "__main__":
    main()
