// AVX-VNNI: int8 block dots by vpdpbusd (u8 × s8, four products summed into s32) on 256-bit vectors.
#include "quant_tile.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include "quant_lanes256.h"

#define VNNI __attribute__((target("avx2,fma,f16c,avxvnni")))
#define INLINE static inline __attribute__((always_inline))

// Q8_0: vpdpbusd wants one unsigned operand, so the weights are flipped to w + 128 (xor 0x80) and the dot starts
// at −128 · Σx: Σ (w + 128) x − 128 Σx = Σ w x, exactly (s32 never overflows: 32 · 255 · 127 < 2³¹).
INLINE VNNI void q8_tile(const cq_activations *a, int r0, const int R, const uint8_t *panel, int nb, float out[][CQ_PANEL_ROWS]) {
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    __m256 acc[3][2];
    for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = panel + (size_t)b * CQ_Q8_0_PANEL_BLOCK_BYTES;
        __m256i dot[3][2];
        for (int r = 0; r < R; r++) dot[r][0] = dot[r][1] = _mm256_set1_epi32(-128 * a->sum[(size_t)(r0 + r) * nb + b]);
        for (int g = 0; g < 8; g++) {
            for (int h = 0; h < 2; h++) {
                const __m256i u = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(blk + 32 + 64 * g + 32 * h)), flip);
                for (int r = 0; r < R; r++) {
                    const __m256i xb = _mm256_set1_epi32(cq_load4(a->q + (size_t)(r0 + r) * a->columns + CQ_BLOCK * b + 4 * g));
                    dot[r][h] = _mm256_dpbusd_avx_epi32(dot[r][h], u, xb);
                }
            }
        }
        for (int r = 0; r < R; r++) finish_block(acc[r], dot[r][0], dot[r][1], blk, a->d[(size_t)(r0 + r) * nb + b]);
    }
    for (int r = 0; r < R; r++) { _mm256_storeu_ps(out[r], acc[r][0]); _mm256_storeu_ps(out[r] + 8, acc[r][1]); }
}

// Q4_0: nibbles 0…15 are already unsigned; the dot starts at −8 · Σx for their bias.
INLINE VNNI void q4_tile(const cq_activations *a, int r0, const int R, const uint8_t *panel, int nb, float out[][CQ_PANEL_ROWS]) {
    const __m256i low = _mm256_set1_epi8(0x0F);
    __m256 acc[3][2];
    for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = panel + (size_t)b * CQ_Q4_0_PANEL_BLOCK_BYTES;
        __m256i dot[3][2];
        for (int r = 0; r < R; r++) dot[r][0] = dot[r][1] = _mm256_set1_epi32(-8 * a->sum[(size_t)(r0 + r) * nb + b]);
        for (int g = 0; g < 4; g++) {
            for (int h = 0; h < 2; h++) {
                const __m256i w = _mm256_loadu_si256((const __m256i *)(blk + 32 + 64 * g + 32 * h));
                const __m256i lo = _mm256_and_si256(w, low), hi = _mm256_and_si256(_mm256_srli_epi16(w, 4), low);
                for (int r = 0; r < R; r++) {
                    const int8_t *xq = a->q + (size_t)(r0 + r) * a->columns + CQ_BLOCK * b;
                    dot[r][h] = _mm256_dpbusd_avx_epi32(dot[r][h], lo, _mm256_set1_epi32(cq_load4(xq + 4 * g)));
                    dot[r][h] = _mm256_dpbusd_avx_epi32(dot[r][h], hi, _mm256_set1_epi32(cq_load4(xq + 16 + 4 * g)));
                }
            }
        }
        for (int r = 0; r < R; r++) finish_block(acc[r], dot[r][0], dot[r][1], blk, a->d[(size_t)(r0 + r) * nb + b]);
    }
    for (int r = 0; r < R; r++) { _mm256_storeu_ps(out[r], acc[r][0]); _mm256_storeu_ps(out[r] + 8, acc[r][1]); }
}

VNNI CQ_DEFINE_GEMM(cq_gemm_q8_0_avxvnni, q8_tile, CQ_Q8_0_PANEL_BLOCK_BYTES, 3)
VNNI CQ_DEFINE_GEMM(cq_gemm_q4_0_avxvnni, q4_tile, CQ_Q4_0_PANEL_BLOCK_BYTES, 3)

#endif
