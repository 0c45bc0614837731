#!/usr/bin/env python3
"""Golden fixture for Q8_0 / Q4_0 quantization, computed with llama.cpp's gguf-py (pip install gguf==0.19.0), whose
numpy quantizers are bit-exact with ggml-quants.c's quantize_row_q8_0_ref / quantize_row_q4_0_ref.

  python scripts/make_quant_fixtures.py [--out Tests/Fixtures/quant_golden.json]

The input is a deterministic [24, 96] f32 matrix (three 32-value blocks per row): bf16-representable normals of
different scales, like a checkpoint's weights, plus rows that hit the edge cases of the rounding rules:
an all-zero block, exact .5 quotients (roundf rounds away from zero), a tie for the largest magnitude (Q4_0 takes the
first), values that land on 8.5 exactly in Q4_0, and a block whose largest value is negative.
Written: rows, columns, the input as f32 bit patterns, and each format's blocks as hex, in llama.cpp's layout.
"""
import argparse
import json

import numpy as np
from gguf import GGMLQuantizationType
from gguf.quants import quantize

ROWS, COLUMNS = 24, 96


def make_matrix() -> np.ndarray:
    rng = np.random.default_rng(20241129)
    x = rng.standard_normal((ROWS, COLUMNS)).astype(np.float32)
    x *= np.float32(0.02) * (np.float32(2.0) ** np.arange(ROWS, dtype=np.float32)[:, None] % np.float32(7))
    # Round to bf16 like the checkpoint (truncate-to-nearest-even of the upper 16 bits).
    bits = x.view(np.uint32)
    bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000).astype(np.uint32)
    x = bits.view(np.float32).copy()
    x[0, 0:32] = 0                                           # zero block: d = 0, all q = 0
    x[1, 0:32] = np.arange(32, dtype=np.float32) - 16        # integers
    x[1, 32:64] = 0.5 * (np.arange(32, dtype=np.float32) - 16)
    x[1, 32] = 127.0                                         # amax 127 → d = 1, so 0.5 · k quotients are exact halves
    x[2, 0:32] = 1.0
    x[2, 5] = -4.0
    x[2, 9] = 4.0                                            # Q4_0: tie of magnitudes, the first (−4) sets d
    x[3, 0:32] = np.linspace(-1, 1, 32, dtype=np.float32)
    x[3, 40] = -3.0                                          # largest magnitude negative
    x[4, 0:32] = -8.0 * np.arange(32, dtype=np.float32) / 16  # Q4_0 quotients at exact .5 steps
    return x


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="Tests/Fixtures/quant_golden.json")
    args = parser.parse_args()
    x = make_matrix()
    fixture = {
        "rows": ROWS,
        "columns": COLUMNS,
        "input_bits": [int(b) for b in x.view(np.uint32).reshape(-1)],
        "q8_0": quantize(x, GGMLQuantizationType.Q8_0).tobytes().hex(),
        "q4_0": quantize(x, GGMLQuantizationType.Q4_0).tobytes().hex(),
    }
    with open(args.out, "w") as f:
        json.dump(fixture, f)
        f.write("\n")
    print(f"wrote {args.out}: [{ROWS}, {COLUMNS}], q8_0 {len(fixture['q8_0']) // 2} bytes, q4_0 {len(fixture['q4_0']) // 2} bytes")


if __name__ == "__main__":
    main()
