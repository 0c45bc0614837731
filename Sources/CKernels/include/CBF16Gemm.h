#ifndef CBF16GEMM_H
#define CBF16GEMM_H

#include <stdint.h>

// y[n, rows] = x[n, columns] · wᵀ for bf16 weights packed in panels of 16 outputs (see PackedBF16Panels in
// Swift for the layout), over panels [firstPanel, lastPanel) only, so callers can split panels between threads.
// `sums` is scratch of 32·n floats (used when n > 2; the AVX-512 kernel tiles two panels at once). Every output is ONE FMA chain over k in order, whatever n
// and whichever tile shape computes it, so a row's result never depends on how many rows share the call; the
// AVX2 and AVX-512 versions run the same per-lane chain and agree bit for bit.
// Call a version only when ck_cpu_features() has its bits (on other CPUs and on arm64 they trap).

/// AVX2 + FMA (CK_AVX2_FMA): 16 outputs as two 8-lane vectors, tiles of up to 6 rows (12 accumulators).
void ck_bf16_gemm_avx2(const float *x, long n, const uint32_t *panels, long columns, long rows,
                       long firstPanel, long lastPanel, float *y, float *sums);

/// AVX-512 (CK_AVX512): 16 outputs as one vector, tiles of up to 16 rows.
void ck_bf16_gemm_avx512(const float *x, long n, const uint32_t *panels, long columns, long rows,
                         long firstPanel, long lastPanel, float *y, float *sums);

/// ck_bf16_gemm_avx2 / ck_bf16_gemm_avx512 for n <= 2 rows on the same weights as CodedBF16Panels (see the Swift
/// type for the layout): `data`, `blockOffsets` (numPanels · numBlocks + 1 byte offsets; a block of 32-byte steps is
/// raw) and the f32 exponent field of each of the 16 codes. The same chains on the same values: the same bits.
/// AVX2 + FMA (CK_AVX2_FMA):
void ck_coded_bf16_gemm_avx2(const float *x, long n, const uint8_t *data, const long *blockOffsets, long numBlocks,
                             const int32_t *exponents, long columns, long rows, long firstPanel, long lastPanel, float *y);
/// AVX-512 + VBMI (CK_AVX512 | CK_AVX512_VBMI):
void ck_coded_bf16_gemm_avx512vbmi(const float *x, long n, const uint8_t *data, const long *blockOffsets, long numBlocks,
                                   const int32_t *exponents, long columns, long rows, long firstPanel, long lastPanel, float *y);

/// Rounds x[n, columns] to bf16 (round to nearest even) as pairs: xPairs[r · ⌈columns/2⌉ + i] holds
/// x[r, 2i] in its low half and x[r, 2i + 1] (0 past the end) in its high half. Input of the bf16-dot GEMM.
void ck_bf16_round_pairs_avx512bf16(const float *x, long n, long columns, uint32_t *xPairs);

/// AVX-512 BF16 (CK_AVX512_BF16): vdpbf16ps on activations rounded by ck_bf16_round_pairs_avx512bf16, two
/// input steps per instruction. Not the f32 chain of the others: each output is one vdpbf16ps chain over k pairs
/// in order (still independent of n).
void ck_bf16_gemm_avx512bf16(const uint32_t *xPairs, long n, const uint32_t *panels, long columns, long rows,
                             long firstPanel, long lastPanel, float *y, float *sums);

#endif
