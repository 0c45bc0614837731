// AVX2 + FMA: activation quantization, and int8 block dots by vpmaddubsw (u8 × s8 → s16 pairs) + vpmaddwd.
#include "quant_tile.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include "quant_lanes256.h"

#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline))

// Same arithmetic as the Swift reference: d = max|x| / 127, q = x · (1/d) rounded to nearest even (the default
// MXCSR mode of vcvtps2dq), so every path sees the same activations.
AVX2 void cq_quantize_activations_avx2(const float *x, int n, int columns, int8_t *q, float *d, int32_t *sum) {
    const int nb = columns / CQ_BLOCK;
    const __m256 signMask = _mm256_set1_ps(-0.0f);
    for (int r = 0; r < n; r++) {
        for (int b = 0; b < nb; b++) {
            const float *xb = x + (size_t)r * columns + CQ_BLOCK * b;
            __m256 v[4], m = _mm256_setzero_ps();
            for (int i = 0; i < 4; i++) {
                v[i] = _mm256_loadu_ps(xb + 8 * i);
                m = _mm256_max_ps(m, _mm256_andnot_ps(signMask, v[i]));
            }
            __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
            m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
            m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
            const float amax = _mm_cvtss_f32(m4);
            const float scale = amax / 127.0f;
            const __m256 inverse = _mm256_set1_ps(scale != 0.0f ? 1.0f / scale : 0.0f);
            __m256i qi[4];
            for (int i = 0; i < 4; i++) qi[i] = _mm256_cvtps_epi32(_mm256_mul_ps(v[i], inverse));
            __m256i total = _mm256_add_epi32(_mm256_add_epi32(qi[0], qi[1]), _mm256_add_epi32(qi[2], qi[3]));
            __m128i t4 = _mm_add_epi32(_mm256_castsi256_si128(total), _mm256_extracti128_si256(total, 1));
            t4 = _mm_add_epi32(t4, _mm_shuffle_epi32(t4, 0x4E));
            t4 = _mm_add_epi32(t4, _mm_shuffle_epi32(t4, 0xB1));
            // packs interleave 128-bit lanes; the permute puts the 32 bytes back in order.
            __m256i q16 = _mm256_packs_epi32(qi[0], qi[1]), r16 = _mm256_packs_epi32(qi[2], qi[3]);
            __m256i q8 = _mm256_packs_epi16(q16, r16);
            q8 = _mm256_permutevar8x32_epi32(q8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i *)(q + (size_t)r * columns + CQ_BLOCK * b), q8);
            d[(size_t)r * nb + b] = scale;
            sum[(size_t)r * nb + b] = _mm_cvtsi128_si32(t4);
        }
    }
}

// Q8_0: signed × signed via the sign trick, |w| (u8) × (x · sign w) (s8); |w|, |x| ≤ 127 so the s16 pair sums
// (≤ 2 · 127²) never saturate.
INLINE AVX2 void q8_tile(const cq_activations *a, int r0, const int R, const uint8_t *panel, int nb, float out[][CQ_PANEL_ROWS]) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[2][2];
    for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = panel + (size_t)b * CQ_Q8_0_PANEL_BLOCK_BYTES;
        __m256i dot[2][2];
        for (int r = 0; r < R; r++) dot[r][0] = dot[r][1] = _mm256_setzero_si256();
        for (int g = 0; g < 8; g++) {
            for (int h = 0; h < 2; h++) {
                const __m256i w = _mm256_loadu_si256((const __m256i *)(blk + 32 + 64 * g + 32 * h));
                const __m256i aw = _mm256_sign_epi8(w, w);
                for (int r = 0; r < R; r++) {
                    const __m256i xb = _mm256_set1_epi32(cq_load4(a->q + (size_t)(r0 + r) * a->columns + CQ_BLOCK * b + 4 * g));
                    const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(aw, _mm256_sign_epi8(xb, w)), ones);
                    dot[r][h] = _mm256_add_epi32(dot[r][h], p);
                }
            }
        }
        for (int r = 0; r < R; r++) finish_block(acc[r], dot[r][0], dot[r][1], blk, a->d[(size_t)(r0 + r) * nb + b]);
    }
    for (int r = 0; r < R; r++) { _mm256_storeu_ps(out[r], acc[r][0]); _mm256_storeu_ps(out[r] + 8, acc[r][1]); }
}

// Q4_0: nibbles 0…15 (u8) × x (s8), minus 8 · Σx. The eight s16 pair sums of a block stay ≤ 8 · 2 · 15 · 127 < 2¹⁵,
// so they are summed in s16 and widened once per block.
INLINE AVX2 void q4_tile(const cq_activations *a, int r0, const int R, const uint8_t *panel, int nb, float out[][CQ_PANEL_ROWS]) {
    const __m256i ones = _mm256_set1_epi16(1), low = _mm256_set1_epi8(0x0F);
    __m256 acc[2][2];
    for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = panel + (size_t)b * CQ_Q4_0_PANEL_BLOCK_BYTES;
        __m256i s16[2][2];
        for (int r = 0; r < R; r++) s16[r][0] = s16[r][1] = _mm256_setzero_si256();
        for (int g = 0; g < 4; g++) {
            for (int h = 0; h < 2; h++) {
                const __m256i w = _mm256_loadu_si256((const __m256i *)(blk + 32 + 64 * g + 32 * h));
                const __m256i lo = _mm256_and_si256(w, low), hi = _mm256_and_si256(_mm256_srli_epi16(w, 4), low);
                for (int r = 0; r < R; r++) {
                    const int8_t *xq = a->q + (size_t)(r0 + r) * a->columns + CQ_BLOCK * b;
                    const __m256i xl = _mm256_set1_epi32(cq_load4(xq + 4 * g)), xh = _mm256_set1_epi32(cq_load4(xq + 16 + 4 * g));
                    s16[r][h] = _mm256_add_epi16(s16[r][h], _mm256_add_epi16(_mm256_maddubs_epi16(lo, xl), _mm256_maddubs_epi16(hi, xh)));
                }
            }
        }
        for (int r = 0; r < R; r++) {
            const __m256i bias = _mm256_set1_epi32(8 * a->sum[(size_t)(r0 + r) * nb + b]);
            finish_block(acc[r], _mm256_sub_epi32(_mm256_madd_epi16(s16[r][0], ones), bias),
                         _mm256_sub_epi32(_mm256_madd_epi16(s16[r][1], ones), bias), blk, a->d[(size_t)(r0 + r) * nb + b]);
        }
    }
    for (int r = 0; r < R; r++) { _mm256_storeu_ps(out[r], acc[r][0]); _mm256_storeu_ps(out[r] + 8, acc[r][1]); }
}

AVX2 CQ_DEFINE_GEMM(cq_gemm_q8_0_avx2, q8_tile, CQ_Q8_0_PANEL_BLOCK_BYTES, 2)
AVX2 CQ_DEFINE_GEMM(cq_gemm_q4_0_avx2, q4_tile, CQ_Q4_0_PANEL_BLOCK_BYTES, 2)

#endif
