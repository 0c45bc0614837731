// Decode attention loops for AVX2 + FMA (contract in CAttention.h; the Swift reference is DecodeAttention.swift).
// Each loop is written once over `const void *` cache tiles and an `half` flag that is a constant at every call
// (the functions are always inlined), so the f32 and f16 versions are the same chains and differ only in the
// loads: an f16 element is widened (exactly, vcvtph2ps) where an f32 one is loaded.
#include "CAttention.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "attention_lanes.h"

INLINE AVX2 void scores(const float *const q[4], const int R, const void *keys, const void *values, const long *blockTable, long blockStride,
                        long blockSize, long headDim, long context, float scale, float *out, long ldScores, const int half) {
    for (long b = 0, position = 0; position < context; b++) {
        const long count = context - position < blockSize ? context - position : blockSize;
        const void *keysT = advance(keys, blockTable[b] * blockStride, half);
        const void *keysAhead = tileAhead(keys, blockTable, b, blockSize, blockStride, context, half);
        const void *valuesT = advance(values, blockTable[b] * blockStride, half);
        long slot = 0;
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

INLINE AVX2 void scoresRows(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const void *keys, const void *values,
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

AVX2 void ck_attention_scores_avx2(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const float *keys, const float *values, const long *blockTable,
                                   long blockStride, long blockSize, long headDim, long context, float scale,
                                   float *out, long ldScores) {
    scoresRows(q0, q1, q2, q3, numQueries, keys, values, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores, 0);
}

AVX2 void ck_attention_scores_f16_avx2(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const uint16_t *keys, const uint16_t *values, const long *blockTable,
                                       long blockStride, long blockSize, long headDim, long context, float scale,
                                       float *out, long ldScores) {
    scoresRows(q0, q1, q2, q3, numQueries, keys, values, blockTable, blockStride, blockSize, headDim, context, scale, out, ldScores, 1);
}

/// Positions [from, to) of the R rows' chains: out_i[d] = Σ_j weights_i[j] · v_j[d], each (row, dimension) one FMA chain
/// over j in order, started at 0 (from == 0) or continued from what out_i holds. Each value vector is loaded once for
/// all R rows. A block's dimensions go in passes of 8 · L (L vectors per row), so that the R · L accumulators and R
/// broadcast weights fit in the 16 registers (one row alone gets eight chains, as many as the FMA units need); the
/// accumulators wait in out_i between passes and blocks (an f32 stored and reloaded is unchanged), so each tile is
/// read whole while it is in L1.
INLINE AVX2 void valuesSpan(const float *weights, long ldWeights, float *const *out, const int R, long from, long to,
                            const void *values, const long *blockTable, long blockStride, long blockSize, long headDim, const int half) {
    const int L = R == 1 ? 8 : R == 4 ? 2 : 4;
    for (long position = from; position < to;) {
        const long b = position / blockSize, first = position - b * blockSize;
        const long count = to - position < blockSize - first ? to - position : blockSize - first;
        const void *tile = advance(values, blockTable[b] * blockStride, half);
        const void *ahead = tileAhead(values, blockTable, b, blockSize, blockStride, to, half);
        const float *w = weights + position - first;
        for (long base = 0; base < headDim; base += 8 * L) {
            const int lanes = headDim - base >= 8 * L ? L : (int)((headDim - base) / 8);
            __m256 acc[4][8];
            for (int i = 0; i < R; i++) {
                for (int l = 0; l < L; l++) acc[i][l] = position == 0 || l >= lanes ? _mm256_setzero_ps() : _mm256_loadu_ps(out[i] + base + 8 * l);
            }
            const void *v = advance(tile, base, half), *vAhead = advance(ahead, base, half);
            if (lanes == L) {
                for (long slot = first; slot < first + count; slot++) {
                    for (int l = 0; l < L; l++) {
                        if (l % (half ? 4 : 2) == 0) prefetchLine(vAhead, slot * headDim + 8 * l, half);  // once per 64-byte line
                        const __m256 x = load8(v, slot * headDim + 8 * l, half);
                        for (int i = 0; i < R; i++) acc[i][l] = _mm256_fmadd_ps(_mm256_broadcast_ss(w + i * ldWeights + slot), x, acc[i][l]);
                    }
                }
            } else {
                for (long slot = first; slot < first + count; slot++) {
                    for (int l = 0; l < lanes; l++) {
                        prefetchLine(vAhead, slot * headDim + 8 * l, half);
                        const __m256 x = load8(v, slot * headDim + 8 * l, half);
                        for (int i = 0; i < R; i++) acc[i][l] = _mm256_fmadd_ps(_mm256_broadcast_ss(w + i * ldWeights + slot), x, acc[i][l]);
                    }
                }
            }
            for (int i = 0; i < R; i++) {
                for (int l = 0; l < lanes; l++) _mm256_storeu_ps(out[i] + base + 8 * l, acc[i][l]);
            }
        }
        position += count;
    }
}

DEFINE_VALUES_TILE(AVX2)

AVX2 void ck_attention_values_avx2(const float *weights, long ldWeights, int numRows, long visible0, long visible1, long visible2,
                                   long visible3, const float *values, const long *blockTable, long blockStride, long blockSize,
                                   long headDim, float *out0, float *out1, float *out2, float *out3) {
    const long visible[4] = {visible0, visible1, visible2, visible3};
    float *const out[4] = {out0, out1, out2, out3};
    valuesTile(weights, ldWeights, numRows, visible, out, values, blockTable, blockStride, blockSize, headDim, 0);
}

AVX2 void ck_attention_values_f16_avx2(const float *weights, long ldWeights, int numRows, long visible0, long visible1, long visible2,
                                       long visible3, const uint16_t *values, const long *blockTable, long blockStride, long blockSize,
                                       long headDim, float *out0, float *out1, float *out2, float *out3) {
    const long visible[4] = {visible0, visible1, visible2, visible3};
    float *const out[4] = {out0, out1, out2, out3};
    valuesTile(weights, ldWeights, numRows, visible, out, values, blockTable, blockStride, blockSize, headDim, 1);
}

#else
void ck_attention_scores_avx2(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const float *keys, const float *values, const long *blockTable,
                              long blockStride, long blockSize, long headDim, long context, float scale,
                              float *scores, long ldScores) { __builtin_trap(); }
void ck_attention_scores_f16_avx2(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const uint16_t *keys, const uint16_t *values, const long *blockTable,
                                  long blockStride, long blockSize, long headDim, long context, float scale,
                                  float *scores, long ldScores) { __builtin_trap(); }
void ck_attention_values_avx2(const float *weights, long ldWeights, int numRows, long visible0, long visible1, long visible2,
                              long visible3, const float *values, const long *blockTable, long blockStride, long blockSize,
                              long headDim, float *out0, float *out1, float *out2, float *out3) { __builtin_trap(); }
void ck_attention_values_f16_avx2(const float *weights, long ldWeights, int numRows, long visible0, long visible1, long visible2,
                                  long visible3, const uint16_t *values, const long *blockTable, long blockStride, long blockSize,
                                  long headDim, float *out0, float *out1, float *out2, float *out3) { __builtin_trap(); }
#endif
