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

/// scoreEight (attention_lanes.h) on sixteen keys, with its prefetches.
INLINE AVX512 void scoreSixteen(const float *const q[4], const int R, const void *keysT, const void *keysAhead, const void *valuesT,
                                long blockSize, long headDim, float scale, float *scores, long ldScores, const int half) {
    __m512 even[4], odd[4];
    for (int i = 0; i < R; i++) even[i] = odd[i] = _mm512_setzero_ps();
    for (long d = 0; d < headDim; d += 2) {
        prefetchLine(keysAhead, d * blockSize, half);
        prefetchLine(keysAhead, (d + 1) * blockSize, half);
        prefetchLine(valuesT, d * blockSize, half);
        prefetchLine(valuesT, (d + 1) * blockSize, half);
        const __m512 kEven = load16(keysT, d * blockSize, half), kOdd = load16(keysT, (d + 1) * blockSize, half);
        for (int i = 0; i < R; i++) {
            even[i] = _mm512_fmadd_ps(_mm512_set1_ps(q[i][d]), kEven, even[i]);
            odd[i] = _mm512_fmadd_ps(_mm512_set1_ps(q[i][d + 1]), kOdd, odd[i]);
        }
    }
    for (int i = 0; i < R; i++) _mm512_storeu_ps(scores + i * ldScores, _mm512_mul_ps(_mm512_add_ps(even[i], odd[i]), _mm512_set1_ps(scale)));
}

INLINE AVX512 void scores(const float *const q[4], const int R, const void *keys, const void *values, const long *blockTable, long blockStride,
                          long blockSize, long headDim, long context, float scale, float *out, long ldScores, const int half) {
    for (long b = 0, position = 0; position < context; b++) {
        const long count = context - position < blockSize ? context - position : blockSize;
        const void *keysT = advance(keys, blockTable[b] * blockStride, half);
        const void *keysAhead = tileAhead(keys, blockTable, b, blockSize, blockStride, context, half);
        const void *valuesT = advance(values, blockTable[b] * blockStride, half);
        long slot = 0;
        for (; slot + 16 <= count; slot += 16) {
            scoreSixteen(q, R, advance(keysT, slot, half), advance(keysAhead, slot, half), advance(valuesT, slot, half),
                         blockSize, headDim, scale, out + position + slot, ldScores, half);
        }
        for (; slot + 8 <= count; slot += 8) {
            scoreEight(q, R, advance(keysT, slot, half), advance(keysAhead, slot, half), advance(valuesT, slot, half),
                       blockSize, headDim, scale, out + position + slot, ldScores, half);
        }
        for (; slot < count; slot++) {
            for (int i = 0; i < R; i++) {
                out[i * ldScores + position + slot] = scoreOne(q[i], advance(keysT, slot, half), blockSize, headDim, scale, half);
            }
        }
        position += count;
    }
}

INLINE AVX512 void scoresRows(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const void *keys, const void *values,
                              const long *blockTable, long blockStride, long blockSize, long headDim, long context, float scale,
                              float *out, long ldScores, const int half) {
    const float *const queries[4] = {q0, q1, q2, q3};
    switch (numQueries) {
    case 4: scores(queries, 4, keys, values, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores, half); break;
    case 3: scores(queries, 3, keys, values, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores, half); break;
    case 2: scores(queries, 2, keys, values, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores, half); break;
    default: scores(queries, 1, keys, values, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores, half); break;
    }
}

AVX512 void ck_attention_scores_avx512(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const float *keys, const float *values, const long *blockTable,
                                       long blockStride, long blockSize, long headDim, long context, float scale,
                                       float *out, long ldScores) {
    scoresRows(q0, q1, q2, q3, numQueries, keys, values, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores, 0);
}

AVX512 void ck_attention_scores_f16_avx512(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const uint16_t *keys, const uint16_t *values, const long *blockTable,
                                           long blockStride, long blockSize, long headDim, long context, float scale,
                                           float *out, long ldScores) {
    scoresRows(q0, q1, q2, q3, numQueries, keys, values, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores, 1);
}

/// Positions [from, to) of the R rows' chains: out_i[d] = Σ_j weights_i[j] · v_j[d], each (row, dimension) one FMA chain
/// over j in order, started at 0 (from == 0) or continued from what out_i holds. Each value vector is loaded once for
/// all R rows, and the R · 4 independent chains keep the FMA units busy where one row's four could not. A block's
/// dimensions go in passes of up to 64 (four vectors, the last may be masked to 8 lanes); the accumulators wait in
/// out_i between passes and blocks (an f32 stored and reloaded is unchanged).
INLINE AVX512 void valuesSpan(const float *weights, long ldWeights, float *const *out, const int R, long from, long to,
                              const void *values, const long *blockTable, long blockStride, long blockSize, long headDim, const int half) {
    for (long position = from; position < to;) {
        const long b = position / blockSize, first = position - b * blockSize;
        const long count = to - position < blockSize - first ? to - position : blockSize - first;
        const void *tile = advance(values, blockTable[b] * blockStride, half);
        const void *ahead = tileAhead(values, blockTable, b, blockSize, blockStride, to, half);
        const float *w = weights + position - first;
        for (long base = 0; base < headDim; base += 64) {
            const long width = headDim - base >= 64 ? 64 : headDim - base;
            const int vectors = (int)((width + 15) / 16);
            const __mmask16 lastMask = width % 16 ? 0x00FF : 0xFFFF;
            __m512 acc[4][4];
            for (int i = 0; i < R; i++) {
                for (int l = 0; l < 4; l++) {
                    const __mmask16 mask = l < vectors - 1 ? 0xFFFF : l == vectors - 1 ? lastMask : 0;
                    acc[i][l] = position == 0 ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(mask, out[i] + base + 16 * l);
                }
            }
            const void *v = advance(tile, base, half), *vAhead = advance(ahead, base, half);
            if (width == 64) {
                for (long slot = first; slot < first + count; slot++) {
                    for (int l = 0; l < 4; l++) {
                        if (!half || l % 2 == 0) prefetchLine(vAhead, slot * headDim + 16 * l, half);  // once per 64-byte line
                        const __m512 x = load16(v, slot * headDim + 16 * l, half);
                        for (int i = 0; i < R; i++) acc[i][l] = _mm512_fmadd_ps(_mm512_set1_ps(w[i * ldWeights + slot]), x, acc[i][l]);
                    }
                }
            } else {
                for (long slot = first; slot < first + count; slot++) {
                    for (int l = 0; l < vectors; l++) {
                        const __mmask16 mask = l == vectors - 1 ? lastMask : 0xFFFF;
                        prefetchLine(vAhead, slot * headDim + 16 * l, half);
                        const __m512 x = maskedLoad16(mask, v, slot * headDim + 16 * l, half);
                        for (int i = 0; i < R; i++) acc[i][l] = _mm512_fmadd_ps(_mm512_set1_ps(w[i * ldWeights + slot]), x, acc[i][l]);
                    }
                }
            }
            for (int i = 0; i < R; i++) {
                for (int l = 0; l < vectors; l++) _mm512_mask_storeu_ps(out[i] + base + 16 * l, l == vectors - 1 ? lastMask : 0xFFFF, acc[i][l]);
            }
        }
        position += count;
    }
}

DEFINE_VALUES_TILE(AVX512)

AVX512 void ck_attention_values_avx512(const float *weights, long ldWeights, int numRows, long visible0, long visible1, long visible2,
                                       long visible3, const float *values, const long *blockTable, long blockStride, long blockSize,
                                       long headDim, float *out0, float *out1, float *out2, float *out3) {
    const long visible[4] = {visible0, visible1, visible2, visible3};
    float *const out[4] = {out0, out1, out2, out3};
    valuesTile(weights, ldWeights, numRows, visible, out, values, blockTable, blockStride, blockSize, headDim, 0);
}

AVX512 void ck_attention_values_f16_avx512(const float *weights, long ldWeights, int numRows, long visible0, long visible1, long visible2,
                                           long visible3, const uint16_t *values, const long *blockTable, long blockStride, long blockSize,
                                           long headDim, float *out0, float *out1, float *out2, float *out3) {
    const long visible[4] = {visible0, visible1, visible2, visible3};
    float *const out[4] = {out0, out1, out2, out3};
    valuesTile(weights, ldWeights, numRows, visible, out, values, blockTable, blockStride, blockSize, headDim, 1);
}

#else
void ck_attention_scores_avx512(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const float *keys, const float *values, const long *blockTable,
                                long blockStride, long blockSize, long headDim, long context, float scale,
                                float *scores, long ldScores) { __builtin_trap(); }
void ck_attention_scores_f16_avx512(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const uint16_t *keys, const uint16_t *values, const long *blockTable,
                                    long blockStride, long blockSize, long headDim, long context, float scale,
                                    float *scores, long ldScores) { __builtin_trap(); }
void ck_attention_values_avx512(const float *weights, long ldWeights, int numRows, long visible0, long visible1, long visible2,
                                long visible3, const float *values, const long *blockTable, long blockStride, long blockSize,
                                long headDim, float *out0, float *out1, float *out2, float *out3) { __builtin_trap(); }
void ck_attention_values_f16_avx512(const float *weights, long ldWeights, int numRows, long visible0, long visible1, long visible2,
                                    long visible3, const uint16_t *values, const long *blockTable, long blockStride, long blockSize,
                                    long headDim, float *out0, float *out1, float *out2, float *out3) { __builtin_trap(); }
#endif
