// Decode attention loops for AVX-512 (contract in CAttention.h): the AVX2 version's chains (attention_avx2.c)
// on 16 keys or 16 dimensions per vector; the leftovers of a block take the AVX2 file's own 8-lane and scalar
// code (attention_lanes.h), with the same per-key arithmetic, so the results equal AVX2's bit for bit. Like the AVX2 file, each loop is written
// once for f32 and f16 tiles (`half`, a constant at every inlined call): only the loads differ.
#include "CAttention.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c")))
#include "attention_lanes.h"

INLINE AVX512 __m512 load16(const void *tile, long i, const int half) {
    return half ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)tile + i)))
                : _mm512_loadu_ps((const float *)tile + i);
}

/// Sixteen lanes, the last eight zero unless `mask` has them.
INLINE AVX512 __m512 maskedLoad16(__mmask16 mask, const void *tile, long i, const int half) {
    return half ? _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, (const uint16_t *)tile + i))
                : _mm512_maskz_loadu_ps(mask, (const float *)tile + i);
}

INLINE AVX512 void scoreSixteen(const float *const q[4], const int R, const void *keysT, long blockSize, long headDim,
                                float scale, float *scores, long ldScores, const int half) {
    __m512 even[4], odd[4];
    for (int i = 0; i < R; i++) even[i] = odd[i] = _mm512_setzero_ps();
    for (long d = 0; d < headDim; d += 2) {
        const __m512 kEven = load16(keysT, d * blockSize, half), kOdd = load16(keysT, (d + 1) * blockSize, half);
        for (int i = 0; i < R; i++) {
            even[i] = _mm512_fmadd_ps(_mm512_set1_ps(q[i][d]), kEven, even[i]);
            odd[i] = _mm512_fmadd_ps(_mm512_set1_ps(q[i][d + 1]), kOdd, odd[i]);
        }
    }
    for (int i = 0; i < R; i++) _mm512_storeu_ps(scores + i * ldScores, _mm512_mul_ps(_mm512_add_ps(even[i], odd[i]), _mm512_set1_ps(scale)));
}

INLINE AVX512 void scores(const float *const q[4], const int R, const void *keys, const long *blockTable, long blockStride,
                          long blockSize, long headDim, long context, float scale, float *out, long ldScores, const int half) {
    for (long b = 0, position = 0; position < context; b++) {
        const long count = context - position < blockSize ? context - position : blockSize;
        const void *keysT = advance(keys, blockTable[b] * blockStride, half);
        long slot = 0;
        for (; slot + 16 <= count; slot += 16) {
            scoreSixteen(q, R, advance(keysT, slot, half), blockSize, headDim, scale, out + position + slot, ldScores, half);
        }
        for (; slot + 8 <= count; slot += 8) {
            scoreEight(q, R, advance(keysT, slot, half), blockSize, headDim, scale, out + position + slot, ldScores, half);
        }
        for (; slot < count; slot++) {
            for (int i = 0; i < R; i++) {
                out[i * ldScores + position + slot] = scoreOne(q[i], advance(keysT, slot, half), blockSize, headDim, scale, half);
            }
        }
        position += count;
    }
}

INLINE AVX512 void scoresRows(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const void *keys,
                              const long *blockTable, long blockStride, long blockSize, long headDim, long context, float scale,
                              float *out, long ldScores, const int half) {
    const float *const queries[4] = {q0, q1, q2, q3};
    switch (numQueries) {
    case 4: scores(queries, 4, keys, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores, half); break;
    case 3: scores(queries, 3, keys, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores, half); break;
    case 2: scores(queries, 2, keys, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores, half); break;
    default: scores(queries, 1, keys, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores, half); break;
    }
}

AVX512 void ck_attention_scores_avx512(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const float *keys, const long *blockTable,
                                       long blockStride, long blockSize, long headDim, long context, float scale,
                                       float *out, long ldScores) {
    scoresRows(q0, q1, q2, q3, numQueries, keys, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores, 0);
}

AVX512 void ck_attention_scores_f16_avx512(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const uint16_t *keys, const long *blockTable,
                                           long blockStride, long blockSize, long headDim, long context, float scale,
                                           float *out, long ldScores) {
    scoresRows(q0, q1, q2, q3, numQueries, keys, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores, 1);
}

/// Up to 64 dimensions (four vectors; the last may be masked to 8 lanes) per pass over the values.
INLINE AVX512 void weightedValues(const float *weights, long visible, const void *values, const long *blockTable,
                                  long blockStride, long blockSize, long headDim, float *out, const int half) {
    for (long base = 0; base < headDim; base += 64) {
        const long width = headDim - base >= 64 ? 64 : headDim - base;
        const int vectors = (int)((width + 15) / 16);
        const __mmask16 lastMask = width % 16 ? 0x00FF : 0xFFFF;
        __m512 acc[4];
        for (int l = 0; l < 4; l++) acc[l] = _mm512_setzero_ps();
        for (long b = 0, position = 0; position < visible; b++) {
            const long count = visible - position < blockSize ? visible - position : blockSize;
            const void *v = advance(values, blockTable[b] * blockStride + base, half);
            if (width == 64) {
                for (long slot = 0; slot < count; slot++) {
                    const __m512 w = _mm512_set1_ps(weights[position + slot]);
                    for (int l = 0; l < 4; l++) acc[l] = _mm512_fmadd_ps(w, load16(v, slot * headDim + 16 * l, half), acc[l]);
                }
            } else {
                for (long slot = 0; slot < count; slot++) {
                    const __m512 w = _mm512_set1_ps(weights[position + slot]);
                    for (int l = 0; l < vectors; l++) {
                        const __mmask16 mask = l == vectors - 1 ? lastMask : 0xFFFF;
                        acc[l] = _mm512_fmadd_ps(w, maskedLoad16(mask, v, slot * headDim + 16 * l, half), acc[l]);
                    }
                }
            }
            position += count;
        }
        for (int l = 0; l < vectors; l++) _mm512_mask_storeu_ps(out + base + 16 * l, l == vectors - 1 ? lastMask : 0xFFFF, acc[l]);
    }
}

AVX512 void ck_attention_values_avx512(const float *weights, long visible, const float *values, const long *blockTable,
                                       long blockStride, long blockSize, long headDim, float *out) {
    weightedValues(weights, visible, values, blockTable, blockStride, blockSize, headDim, out, 0);
}

AVX512 void ck_attention_values_f16_avx512(const float *weights, long visible, const uint16_t *values, const long *blockTable,
                                           long blockStride, long blockSize, long headDim, float *out) {
    weightedValues(weights, visible, values, blockTable, blockStride, blockSize, headDim, out, 1);
}

#else
void ck_attention_scores_avx512(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const float *keys, const long *blockTable,
                                long blockStride, long blockSize, long headDim, long context, float scale,
                                float *scores, long ldScores) { __builtin_trap(); }
void ck_attention_scores_f16_avx512(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const uint16_t *keys, const long *blockTable,
                                    long blockStride, long blockSize, long headDim, long context, float scale,
                                    float *scores, long ldScores) { __builtin_trap(); }
void ck_attention_values_avx512(const float *weights, long visible, const float *values, const long *blockTable,
                                long blockStride, long blockSize, long headDim, float *out) { __builtin_trap(); }
void ck_attention_values_f16_avx512(const float *weights, long visible, const uint16_t *values, const long *blockTable,
                                    long blockStride, long blockSize, long headDim, float *out) { __builtin_trap(); }
#endif
