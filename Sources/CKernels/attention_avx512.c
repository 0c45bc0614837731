// Decode attention loops for AVX-512 (contract in CAttention.h): the AVX2 version's chains (attention_avx2.c)
// on 16 keys or 16 dimensions per vector; the leftovers of a block take 8-lane vectors, then scalar code, with
// the same per-key arithmetic, so the results equal AVX2's bit for bit.
#include "CAttention.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#define INLINE static inline __attribute__((always_inline))

INLINE AVX512 void scoreSixteen(const float *const q[4], const int R, const float *keysT, long blockSize, long headDim,
                                float scale, float *scores, long ldScores) {
    __m512 even[4], odd[4];
    for (int i = 0; i < R; i++) even[i] = odd[i] = _mm512_setzero_ps();
    for (long d = 0; d < headDim; d += 2) {
        const __m512 kEven = _mm512_loadu_ps(keysT + d * blockSize), kOdd = _mm512_loadu_ps(keysT + (d + 1) * blockSize);
        for (int i = 0; i < R; i++) {
            even[i] = _mm512_fmadd_ps(_mm512_set1_ps(q[i][d]), kEven, even[i]);
            odd[i] = _mm512_fmadd_ps(_mm512_set1_ps(q[i][d + 1]), kOdd, odd[i]);
        }
    }
    for (int i = 0; i < R; i++) _mm512_storeu_ps(scores + i * ldScores, _mm512_mul_ps(_mm512_add_ps(even[i], odd[i]), _mm512_set1_ps(scale)));
}

INLINE AVX512 void scoreEight(const float *const q[4], const int R, const float *keysT, long blockSize, long headDim,
                              float scale, float *scores, long ldScores) {
    __m256 even[4], odd[4];
    for (int i = 0; i < R; i++) even[i] = odd[i] = _mm256_setzero_ps();
    for (long d = 0; d < headDim; d += 2) {
        const __m256 kEven = _mm256_loadu_ps(keysT + d * blockSize), kOdd = _mm256_loadu_ps(keysT + (d + 1) * blockSize);
        for (int i = 0; i < R; i++) {
            even[i] = _mm256_fmadd_ps(_mm256_set1_ps(q[i][d]), kEven, even[i]);
            odd[i] = _mm256_fmadd_ps(_mm256_set1_ps(q[i][d + 1]), kOdd, odd[i]);
        }
    }
    for (int i = 0; i < R; i++) _mm256_storeu_ps(scores + i * ldScores, _mm256_mul_ps(_mm256_add_ps(even[i], odd[i]), _mm256_set1_ps(scale)));
}

INLINE AVX512 float scoreOne(const float *q, const float *keysT, long blockSize, long headDim, float scale) {
    float even = 0, odd = 0;
    for (long d = 0; d < headDim; d += 2) {
        even = __builtin_fmaf(q[d], keysT[d * blockSize], even);
        odd = __builtin_fmaf(q[d + 1], keysT[(d + 1) * blockSize], odd);
    }
    return (even + odd) * scale;
}

INLINE AVX512 void scores(const float *const q[4], const int R, const float *keys, const long *blockTable, long blockStride,
                          long blockSize, long headDim, long context, float scale, float *out, long ldScores) {
    for (long b = 0, position = 0; position < context; b++) {
        const long count = context - position < blockSize ? context - position : blockSize;
        const float *keysT = keys + blockTable[b] * blockStride;
        long slot = 0;
        for (; slot + 16 <= count; slot += 16) scoreSixteen(q, R, keysT + slot, blockSize, headDim, scale, out + position + slot, ldScores);
        for (; slot + 8 <= count; slot += 8) scoreEight(q, R, keysT + slot, blockSize, headDim, scale, out + position + slot, ldScores);
        for (; slot < count; slot++) {
            for (int i = 0; i < R; i++) out[i * ldScores + position + slot] = scoreOne(q[i], keysT + slot, blockSize, headDim, scale);
        }
        position += count;
    }
}

AVX512 void ck_attention_scores_avx512(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const float *keys, const long *blockTable,
                                       long blockStride, long blockSize, long headDim, long context, float scale,
                                       float *out, long ldScores) {
    const float *const queries[4] = {q0, q1, q2, q3};
    switch (numQueries) {
    case 4: scores(queries, 4, keys, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores); break;
    case 3: scores(queries, 3, keys, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores); break;
    case 2: scores(queries, 2, keys, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores); break;
    default: scores(queries, 1, keys, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores); break;
    }
}

/// Up to 64 dimensions (four vectors; the last may be masked to 8 lanes) per pass over the values.
AVX512 void ck_attention_values_avx512(const float *weights, long visible, const float *values, const long *blockTable,
                                       long blockStride, long blockSize, long headDim, float *out) {
    for (long base = 0; base < headDim; base += 64) {
        const long width = headDim - base >= 64 ? 64 : headDim - base;
        const int vectors = (int)((width + 15) / 16);
        const __mmask16 lastMask = width % 16 ? 0x00FF : 0xFFFF;
        __m512 acc[4];
        for (int l = 0; l < 4; l++) acc[l] = _mm512_setzero_ps();
        for (long b = 0, position = 0; position < visible; b++) {
            const long count = visible - position < blockSize ? visible - position : blockSize;
            const float *v = values + blockTable[b] * blockStride + base;
            if (width == 64) {
                for (long slot = 0; slot < count; slot++) {
                    const __m512 w = _mm512_set1_ps(weights[position + slot]);
                    for (int l = 0; l < 4; l++) acc[l] = _mm512_fmadd_ps(w, _mm512_loadu_ps(v + slot * headDim + 16 * l), acc[l]);
                }
            } else {
                for (long slot = 0; slot < count; slot++) {
                    const __m512 w = _mm512_set1_ps(weights[position + slot]);
                    for (int l = 0; l < vectors; l++) {
                        const __mmask16 mask = l == vectors - 1 ? lastMask : 0xFFFF;
                        acc[l] = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(mask, v + slot * headDim + 16 * l), acc[l]);
                    }
                }
            }
            position += count;
        }
        for (int l = 0; l < vectors; l++) _mm512_mask_storeu_ps(out + base + 16 * l, l == vectors - 1 ? lastMask : 0xFFFF, acc[l]);
    }
}

#else
void ck_attention_scores_avx512(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const float *keys, const long *blockTable,
                                long blockStride, long blockSize, long headDim, long context, float scale,
                                float *scores, long ldScores) { __builtin_trap(); }
void ck_attention_values_avx512(const float *weights, long visible, const float *values, const long *blockTable,
                                long blockStride, long blockSize, long headDim, float *out) { __builtin_trap(); }
#endif
