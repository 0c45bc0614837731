// Decode attention loops for AVX2 + FMA (contract in CAttention.h; the Swift reference is DecodeAttention.swift).
// Each loop is written once over `const void *` cache tiles and an `half` flag that is a constant at every call
// (the functions are always inlined), so the f32 and f16 versions are the same chains and differ only in the
// loads: an f16 element is widened (exactly, vcvtph2ps) where an f32 one is loaded.
#include "CAttention.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "attention_lanes.h"

INLINE AVX2 void scores(const float *const q[4], const int R, const void *keys, const long *blockTable, long blockStride,
                        long blockSize, long headDim, long context, float scale, float *out, long ldScores, const int half) {
    for (long b = 0, position = 0; position < context; b++) {
        const long count = context - position < blockSize ? context - position : blockSize;
        const void *keysT = advance(keys, blockTable[b] * blockStride, half);
        long slot = 0;
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

INLINE AVX2 void scoresRows(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const void *keys,
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

AVX2 void ck_attention_scores_avx2(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const float *keys, const long *blockTable,
                                   long blockStride, long blockSize, long headDim, long context, float scale,
                                   float *out, long ldScores) {
    scoresRows(q0, q1, q2, q3, numQueries, keys, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores, 0);
}

AVX2 void ck_attention_scores_f16_avx2(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const uint16_t *keys, const long *blockTable,
                                       long blockStride, long blockSize, long headDim, long context, float scale,
                                       float *out, long ldScores) {
    scoresRows(q0, q1, q2, q3, numQueries, keys, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores, 1);
}

/// Up to 64 dimensions (eight vectors, eight independent chains) per pass over the values.
INLINE AVX2 void weightedValues(const float *weights, long visible, const void *values, const long *blockTable,
                                long blockStride, long blockSize, long headDim, float *out, const int half) {
    for (long base = 0; base < headDim; base += 64) {
        const int lanes = headDim - base >= 64 ? 8 : (int)((headDim - base) / 8);
        __m256 acc[8];
        for (int l = 0; l < 8; l++) acc[l] = _mm256_setzero_ps();
        for (long b = 0, position = 0; position < visible; b++) {
            const long count = visible - position < blockSize ? visible - position : blockSize;
            const void *v = advance(values, blockTable[b] * blockStride + base, half);
            if (lanes == 8) {
                for (long slot = 0; slot < count; slot++) {
                    const __m256 w = _mm256_broadcast_ss(weights + position + slot);
                    for (int l = 0; l < 8; l++) acc[l] = _mm256_fmadd_ps(w, load8(v, slot * headDim + 8 * l, half), acc[l]);
                }
            } else {
                for (long slot = 0; slot < count; slot++) {
                    const __m256 w = _mm256_broadcast_ss(weights + position + slot);
                    for (int l = 0; l < lanes; l++) acc[l] = _mm256_fmadd_ps(w, load8(v, slot * headDim + 8 * l, half), acc[l]);
                }
            }
            position += count;
        }
        for (int l = 0; l < lanes; l++) _mm256_storeu_ps(out + base + 8 * l, acc[l]);
    }
}

AVX2 void ck_attention_values_avx2(const float *weights, long visible, const float *values, const long *blockTable,
                                   long blockStride, long blockSize, long headDim, float *out) {
    weightedValues(weights, visible, values, blockTable, blockStride, blockSize, headDim, out, 0);
}

AVX2 void ck_attention_values_f16_avx2(const float *weights, long visible, const uint16_t *values, const long *blockTable,
                                       long blockStride, long blockSize, long headDim, float *out) {
    weightedValues(weights, visible, values, blockTable, blockStride, blockSize, headDim, out, 1);
}

#else
void ck_attention_scores_avx2(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const float *keys, const long *blockTable,
                              long blockStride, long blockSize, long headDim, long context, float scale,
                              float *scores, long ldScores) { __builtin_trap(); }
void ck_attention_scores_f16_avx2(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const uint16_t *keys, const long *blockTable,
                                  long blockStride, long blockSize, long headDim, long context, float scale,
                                  float *scores, long ldScores) { __builtin_trap(); }
void ck_attention_values_avx2(const float *weights, long visible, const float *values, const long *blockTable,
                              long blockStride, long blockSize, long headDim, float *out) { __builtin_trap(); }
void ck_attention_values_f16_avx2(const float *weights, long visible, const uint16_t *values, const long *blockTable,
                                  long blockStride, long blockSize, long headDim, float *out) { __builtin_trap(); }
#endif
