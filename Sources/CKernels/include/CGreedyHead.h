#ifndef CGREEDYHEAD_H
#define CGREEDYHEAD_H

#include <stdint.h>

// The approximate pass of GreedyHead (Swift): int8 logits with a bound on their error, from which the greedy
// token's few candidates are found. Layouts (GreedyHead.swift): `panels` holds 16 vocabulary rows each,
// [columns/32 blocks][8 groups][16 rows][4 inputs] as u8 = q + 128 (q = the int8 code), and `scales` their
// scales, [panel][block][16 rows] (one per 32 inputs of a row, as llama.cpp's Q8_0); a row of x is int8 codes `xq` with one scale per 32-input block (`xScales`) and, per block,
// `xCorrections` = -128 · Σ q_x (what the +128 of the weights adds to the block's integer dot). For rows r < n
// and vocabulary rows v in panels [firstPanel, lastPanel):
//   approx = Σ_b xScales[r, b] · (dot_b · scale_{v,b}),   bound = errorNorms_v · xNorms[r] + weightNorms_v · dxNorms[r]
//   upper[r · ldUpper + p] = max over panel p's v of approx + bound,   lowerMax[r] = max(lowerMax[r], approx − bound)
// `scales`, `errorNorms` and `weightNorms` are padded to whole panels; v ≥ vocab is neither stored nor
// compared. columns % 32 == 0. Call only when ck_cpu_features() has CK_AVX512 | CK_AVX512_VNNI.
void ck_greedy_head_avx512vnni(const int8_t *xq, const float *xScales, const int32_t *xCorrections, const float *xNorms,
                               const float *dxNorms, long n, long columns, const uint8_t *panels, const float *scales,
                               const float *errorNorms, const float *weightNorms, long vocab, long firstPanel,
                               long lastPanel, float *upper, long ldUpper, float *lowerMax);

// The same for AVX2 + FMA, with the same bits: it forms the integer dots directly, so it takes no corrections.
// Call only when ck_cpu_features() has CK_AVX2_FMA.
void ck_greedy_head_avx2(const int8_t *xq, const float *xScales, const float *xNorms, const float *dxNorms, long n,
                         long columns, const uint8_t *panels, const float *scales, const float *errorNorms,
                         const float *weightNorms, long vocab, long firstPanel, long lastPanel, float *upper,
                         long ldUpper, float *lowerMax);

#endif
