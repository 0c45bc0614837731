// bf16 products of one or two rows on 12-bit coded weights (CodedBF16Panels in Swift), AVX-512 with VBMI. A coded input step of a
// panel is 16 bytes (sign and mantissa of each output) and 8 bytes of 4-bit exponent codes; four instructions
// rebuild the 16 f32 weights: vpshufb puts byte j in bytes 2 and 3 of lane j, vpmultishiftqb puts code j in the
// low bits of lane j, vpermd looks the codes up in the 16 exponents, vpternlogd merges sign | exponent | mantissa.
// The weights are exactly the bf16 ones, multiplied in the same per-lane chain as ck_bf16_gemm_avx512, so the
// results are the same bits.
#include "CBF16Gemm.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define VBMI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,fma")))
#define INLINE static inline __attribute__((always_inline))

enum { PANEL = 16, BLOCK = 64, CODED_STEP = 24, RAW_STEP = 32, GROUP = 2 };

typedef struct { __m512i bytes, codes, exponents, signAndMantissa; } Decoder;

INLINE VBMI Decoder makeDecoder(const int32_t *exponents) {
    uint8_t bytes[64], codes[64];
    for (int j = 0; j < PANEL; j++) {
        // vpshufb works within 16-byte lanes; each holds all 16 bytes of the step (a broadcast).
        bytes[4 * j] = bytes[4 * j + 1] = 0x80;
        bytes[4 * j + 2] = bytes[4 * j + 3] = (uint8_t)j;
        // vpmultishiftqb: byte 0 of lane j takes the 8 bits from bit 4j of the codes; vpermd reads its low 4.
        codes[4 * j] = (uint8_t)(4 * j);
        codes[4 * j + 1] = codes[4 * j + 2] = codes[4 * j + 3] = 0;
    }
    Decoder d = {_mm512_loadu_si512(bytes), _mm512_loadu_si512(codes), _mm512_loadu_si512(exponents),
                 _mm512_set1_epi32((int)0x807F0000u)};
    return d;
}

INLINE VBMI __m512 codedWeights(const Decoder *d, const uint8_t *step) {
    const __m512i bytes = _mm512_shuffle_epi8(_mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)step)), d->bytes);
    const __m512i codes = _mm512_multishift_epi64_epi8(d->codes, _mm512_broadcastq_epi64(_mm_loadl_epi64((const __m128i *)(step + 16))));
    const __m512i exponents = _mm512_permutexvar_epi32(codes, d->exponents);
    // (bytes & signAndMantissa) | exponents
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(bytes, d->signAndMantissa, exponents, 0xEA));
}

/// A raw step: PackedBF16Panels' 32 bytes (see bf16_gemm_avx512.c).
INLINE VBMI __m512 rawWeights(const uint8_t *step) {
    __m512i bits = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)step));
    bits = _mm512_mask_slli_epi32(bits, 0x00FF, bits, 16);
    return _mm512_castsi512_ps(_mm512_and_si512(bits, _mm512_set1_epi32((int)0xFFFF0000u)));
}

INLINE VBMI __m512 weightsAt(const Decoder *d, const uint8_t *block, const int raw, long step) {
    return raw ? rawWeights(block + RAW_STEP * step) : codedWeights(d, block + CODED_STEP * step);
}

/// acc[r][g] += x[r, k0 + s] · w_g[s] for the steps of one block of G panels (raw_g: which are raw), R rows.
/// Prefetches the same steps of the next group's blocks.
INLINE VBMI void blockSteps(const Decoder *d, const float *x, long ldx, const int R, const int G, const uint8_t *const block[GROUP],
                            const int raw0, const int raw1, const uint8_t *const ahead[GROUP], long count, __m512 acc[2][GROUP]) {
    for (long s = 0; s < count; s++) {
        __m512 w[GROUP];
        for (int g = 0; g < G; g++) {
            _mm_prefetch((const char *)ahead[g] + CODED_STEP * s, _MM_HINT_T0);
            w[g] = weightsAt(d, block[g], g == 0 ? raw0 : raw1, s);
        }
        for (int r = 0; r < R; r++) {
            const __m512 xs = _mm512_set1_ps(x[r * ldx + s]);
            for (int g = 0; g < G; g++) acc[r][g] = _mm512_fmadd_ps(xs, w[g], acc[r][g]);
        }
    }
}

typedef struct {
    const uint8_t *data;
    const long *offsets;
    long numBlocks, numPanels, columns;
} Coded;

INLINE const uint8_t *blockStart(const Coded *c, long panel, long block) { return c->data + c->offsets[panel * c->numBlocks + block]; }
INLINE int isRaw(const Coded *c, long panel, long block, long count) {
    const long i = panel * c->numBlocks + block;
    return c->offsets[i + 1] - c->offsets[i] == RAW_STEP * count;
}

/// One or two rows against G panels from p: R·G chains, blocks of either kind, as ck_bf16_gemm_avx512's groupTile.
INLINE VBMI void groupTile(const Decoder *d, const Coded *c, const float *x, const int R, const int G, long p, float out[2][GROUP][16]) {
    __m512 acc[2][GROUP];
    for (int r = 0; r < 2; r++) for (int g = 0; g < GROUP; g++) acc[r][g] = _mm512_setzero_ps();
    for (long b = 0; b < c->numBlocks; b++) {
        const long k = b * BLOCK, count = c->columns - k < BLOCK ? c->columns - k : BLOCK;
        const uint8_t *block[GROUP], *ahead[GROUP];
        int raw[GROUP] = {0, 0};
        for (int g = 0; g < G; g++) {
            block[g] = blockStart(c, p + g, b);
            raw[g] = isRaw(c, p + g, b, count);
            ahead[g] = p + g + G < c->numPanels ? blockStart(c, p + g + G, b) : block[g];
        }
        if (G == 1) {
            if (raw[0]) blockSteps(d, x + k, c->columns, R, 1, block, 1, 0, ahead, count, acc);
            else blockSteps(d, x + k, c->columns, R, 1, block, 0, 0, ahead, count, acc);
        } else if (!raw[0] && !raw[1]) {
            blockSteps(d, x + k, c->columns, R, 2, block, 0, 0, ahead, count, acc);
        } else if (raw[0] && raw[1]) {
            blockSteps(d, x + k, c->columns, R, 2, block, 1, 1, ahead, count, acc);
        } else if (raw[0]) {
            blockSteps(d, x + k, c->columns, R, 2, block, 1, 0, ahead, count, acc);
        } else {
            blockSteps(d, x + k, c->columns, R, 2, block, 0, 1, ahead, count, acc);
        }
    }
    for (int r = 0; r < R; r++) for (int g = 0; g < G; g++) _mm512_storeu_ps(out[r][g], acc[r][g]);
}

#define GROUP_TILE(R, G) \
    static VBMI __attribute__((noinline)) void groupTile##R##x##G(const Decoder *d, const Coded *c, const float *x, long p, float out[2][GROUP][16]) { \
        groupTile(d, c, x, R, G, p, out); \
    }
GROUP_TILE(1, 1) GROUP_TILE(1, 2) GROUP_TILE(2, 1) GROUP_TILE(2, 2)

VBMI void ck_coded_bf16_gemm_avx512vbmi(const float *x, long n, const uint8_t *data, const long *blockOffsets, long numBlocks,
                                        const int32_t *exponents, long columns, long rows, long firstPanel, long lastPanel, float *y) {
    const Decoder d = makeDecoder(exponents);
    const Coded c = {data, blockOffsets, numBlocks, (rows + PANEL - 1) / PANEL, columns};
    for (long p = firstPanel; p < lastPanel; p += GROUP) {
        const int G = p + 1 < lastPanel ? 2 : 1;
        float out[2][GROUP][16];
        if (n == 2) { if (G == 2) groupTile2x2(&d, &c, x, p, out); else groupTile2x1(&d, &c, x, p, out); }
        else { if (G == 2) groupTile1x2(&d, &c, x, p, out); else groupTile1x1(&d, &c, x, p, out); }
        for (long r = 0; r < n; r++) {
            for (int g = 0; g < G; g++) {
                const long q = p + g, outputs = rows - PANEL * q < PANEL ? rows - PANEL * q : PANEL;
                _mm512_mask_storeu_ps(y + r * rows + PANEL * q, (__mmask16)((1u << outputs) - 1), _mm512_loadu_ps(out[r][g]));
            }
        }
    }
}

#else
void ck_coded_bf16_gemm_avx512vbmi(const float *x, long n, const uint8_t *data, const long *blockOffsets, long numBlocks,
                                   const int32_t *exponents, long columns, long rows, long firstPanel, long lastPanel, float *y) {
    __builtin_trap();
}
#endif
