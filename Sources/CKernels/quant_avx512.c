// AVX-512 (F/BW/VL/DQ) and AVX-512 VNNI: one 512-bit vector holds a whole 16-row panel group, so each weight load
// feeds all 16 outputs of a row at once.
#include "quant_tile.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq")))
#define VNNI512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))
#define INLINE static inline __attribute__((always_inline))

INLINE AVX512 __m512 finish_block512(__m512 acc, __m512i dot, const uint8_t *scales, float dx) {
    const __m512 s = _mm512_mul_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)scales)), _mm512_set1_ps(dx));
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), s, acc);
}

// Q8_0 without VNNI: AVX-512 has no vpsignb, so x is negated under the mask of negative weights and multiplied by
// |w| with vpmaddubsw (s16 pair sums ≤ 2 · 127², no saturation).
INLINE AVX512 void q8_tile(const cq_activations *a, int r0, const int R, const uint8_t *panel, int nb, float out[][CQ_PANEL_ROWS]) {
    const __m512i ones = _mm512_set1_epi16(1), zero = _mm512_setzero_si512();
    __m512 acc[4];
    for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = panel + (size_t)b * CQ_Q8_0_PANEL_BLOCK_BYTES;
        __m512i dot[4];
        for (int r = 0; r < R; r++) dot[r] = _mm512_setzero_si512();
        for (int g = 0; g < 8; g++) {
            const __m512i w = _mm512_loadu_si512(blk + 32 + 64 * g);
            const __mmask64 negative = _mm512_movepi8_mask(w);
            const __m512i aw = _mm512_abs_epi8(w);
            for (int r = 0; r < R; r++) {
                const __m512i xb = _mm512_set1_epi32(cq_load4(a->q + (size_t)(r0 + r) * a->columns + CQ_BLOCK * b + 4 * g));
                const __m512i sx = _mm512_mask_sub_epi8(xb, negative, zero, xb);
                dot[r] = _mm512_add_epi32(dot[r], _mm512_madd_epi16(_mm512_maddubs_epi16(aw, sx), ones));
            }
        }
        for (int r = 0; r < R; r++) acc[r] = finish_block512(acc[r], dot[r], blk, a->d[(size_t)(r0 + r) * nb + b]);
    }
    for (int r = 0; r < R; r++) _mm512_storeu_ps(out[r], acc[r]);
}

// Q4_0 without VNNI: as the AVX2 path, the block's eight vpmaddubsw results summed in s16, minus 8 · Σx.
INLINE AVX512 void q4_tile(const cq_activations *a, int r0, const int R, const uint8_t *panel, int nb, float out[][CQ_PANEL_ROWS]) {
    const __m512i ones = _mm512_set1_epi16(1), low = _mm512_set1_epi8(0x0F);
    __m512 acc[4];
    for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = panel + (size_t)b * CQ_Q4_0_PANEL_BLOCK_BYTES;
        __m512i s16[4];
        for (int r = 0; r < R; r++) s16[r] = _mm512_setzero_si512();
        for (int g = 0; g < 4; g++) {
            const __m512i w = _mm512_loadu_si512(blk + 32 + 64 * g);
            const __m512i lo = _mm512_and_si512(w, low), hi = _mm512_and_si512(_mm512_srli_epi16(w, 4), low);
            for (int r = 0; r < R; r++) {
                const int8_t *xq = a->q + (size_t)(r0 + r) * a->columns + CQ_BLOCK * b;
                const __m512i xl = _mm512_set1_epi32(cq_load4(xq + 4 * g)), xh = _mm512_set1_epi32(cq_load4(xq + 16 + 4 * g));
                s16[r] = _mm512_add_epi16(s16[r], _mm512_add_epi16(_mm512_maddubs_epi16(lo, xl), _mm512_maddubs_epi16(hi, xh)));
            }
        }
        for (int r = 0; r < R; r++) {
            const __m512i dot = _mm512_sub_epi32(_mm512_madd_epi16(s16[r], ones), _mm512_set1_epi32(8 * a->sum[(size_t)(r0 + r) * nb + b]));
            acc[r] = finish_block512(acc[r], dot, blk, a->d[(size_t)(r0 + r) * nb + b]);
        }
    }
    for (int r = 0; r < R; r++) _mm512_storeu_ps(out[r], acc[r]);
}

// Q8_0 with VNNI: weights flipped to u8 (w + 128), the dot started at −128 · Σx (see quant_avxvnni.c). Two
// integer chains per row (even and odd groups) so a one-row decode is not bound by vpdpbusd latency.
INLINE VNNI512 void q8_tile_vnni(const cq_activations *a, int r0, const int R, const uint8_t *panel, int nb, float out[][CQ_PANEL_ROWS]) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512 acc[4];
    for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = panel + (size_t)b * CQ_Q8_0_PANEL_BLOCK_BYTES;
        __m512i dot[4][2];
        for (int r = 0; r < R; r++) {
            dot[r][0] = _mm512_set1_epi32(-128 * a->sum[(size_t)(r0 + r) * nb + b]);
            dot[r][1] = _mm512_setzero_si512();
        }
        for (int g = 0; g < 8; g++) {
            const __m512i u = _mm512_xor_si512(_mm512_loadu_si512(blk + 32 + 64 * g), flip);
            for (int r = 0; r < R; r++) {
                const __m512i xb = _mm512_set1_epi32(cq_load4(a->q + (size_t)(r0 + r) * a->columns + CQ_BLOCK * b + 4 * g));
                dot[r][g & 1] = _mm512_dpbusd_epi32(dot[r][g & 1], u, xb);
            }
        }
        for (int r = 0; r < R; r++)
            acc[r] = finish_block512(acc[r], _mm512_add_epi32(dot[r][0], dot[r][1]), blk, a->d[(size_t)(r0 + r) * nb + b]);
    }
    for (int r = 0; r < R; r++) _mm512_storeu_ps(out[r], acc[r]);
}

// Q4_0 with VNNI: nibbles are unsigned already; low nibbles in one chain, high nibbles in the other.
INLINE VNNI512 void q4_tile_vnni(const cq_activations *a, int r0, const int R, const uint8_t *panel, int nb, float out[][CQ_PANEL_ROWS]) {
    const __m512i low = _mm512_set1_epi8(0x0F);
    __m512 acc[4];
    for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = panel + (size_t)b * CQ_Q4_0_PANEL_BLOCK_BYTES;
        __m512i dot[4][2];
        for (int r = 0; r < R; r++) {
            dot[r][0] = _mm512_set1_epi32(-8 * a->sum[(size_t)(r0 + r) * nb + b]);
            dot[r][1] = _mm512_setzero_si512();
        }
        for (int g = 0; g < 4; g++) {
            const __m512i w = _mm512_loadu_si512(blk + 32 + 64 * g);
            const __m512i lo = _mm512_and_si512(w, low), hi = _mm512_and_si512(_mm512_srli_epi16(w, 4), low);
            for (int r = 0; r < R; r++) {
                const int8_t *xq = a->q + (size_t)(r0 + r) * a->columns + CQ_BLOCK * b;
                dot[r][0] = _mm512_dpbusd_epi32(dot[r][0], lo, _mm512_set1_epi32(cq_load4(xq + 4 * g)));
                dot[r][1] = _mm512_dpbusd_epi32(dot[r][1], hi, _mm512_set1_epi32(cq_load4(xq + 16 + 4 * g)));
            }
        }
        for (int r = 0; r < R; r++)
            acc[r] = finish_block512(acc[r], _mm512_add_epi32(dot[r][0], dot[r][1]), blk, a->d[(size_t)(r0 + r) * nb + b]);
    }
    for (int r = 0; r < R; r++) _mm512_storeu_ps(out[r], acc[r]);
}

AVX512 CQ_DEFINE_GEMM(cq_gemm_q8_0_avx512, q8_tile, CQ_Q8_0_PANEL_BLOCK_BYTES, 4)
AVX512 CQ_DEFINE_GEMM(cq_gemm_q4_0_avx512, q4_tile, CQ_Q4_0_PANEL_BLOCK_BYTES, 4)
VNNI512 CQ_DEFINE_GEMM(cq_gemm_q8_0_avx512vnni, q8_tile_vnni, CQ_Q8_0_PANEL_BLOCK_BYTES, 4)
VNNI512 CQ_DEFINE_GEMM(cq_gemm_q4_0_avx512vnni, q4_tile_vnni, CQ_Q4_0_PANEL_BLOCK_BYTES, 4)

#endif
