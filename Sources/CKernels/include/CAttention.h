#ifndef CATTENTION_H
#define CATTENTION_H

#include <stdint.h>

// The two loops of decode attention straight from the paged KV cache (DecodeAttention.swift), for AVX2 + FMA
// and AVX-512. Cache tiles: for block b and this kv head, keys at keys + b·blockStride, transposed
// [headDim][blockSize]; values at values + b·blockStride, [blockSize][headDim]. `keys` and `values` already
// point at the kv head's tile of block 0. Both versions compute each key's score and each output dimension with
// the same FMA chain (so they agree bit for bit), and a key's score does not depend on where the context ends.
// The `_f16` versions read an f16 cache (uint16_t halves, PagedLayerView) with the same chains: each element is
// widened to f32 exactly as it is loaded, so an f16 cache gives what an f32 cache holding the rounded values would.

/// scores[i · ldScores + j] = scale · q_i · k_j for the numQueries (1–4) query rows q0…q3 (the unused ones may repeat q0) and every key j < context,
/// as two FMA chains over even and odd dimensions, added at the end. headDim must be even. `values` (the kv head's
/// value tile of block 0) is only prefetched: the values pass reads the same blocks next.
void ck_attention_scores_avx2(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const float *keys, const float *values, const long *blockTable,
                              long blockStride, long blockSize, long headDim, long context, float scale,
                              float *scores, long ldScores);
void ck_attention_scores_avx512(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const float *keys, const float *values, const long *blockTable,
                                long blockStride, long blockSize, long headDim, long context, float scale,
                                float *scores, long ldScores);
void ck_attention_scores_f16_avx2(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const uint16_t *keys, const uint16_t *values, const long *blockTable,
                                  long blockStride, long blockSize, long headDim, long context, float scale,
                                  float *scores, long ldScores);
void ck_attention_scores_f16_avx512(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const uint16_t *keys, const uint16_t *values, const long *blockTable,
                                    long blockStride, long blockSize, long headDim, long context, float scale,
                                    float *scores, long ldScores);

/// The values of a tile of numRows (1–4) query rows, whose softmaxed weights are at weights + i · ldWeights:
/// out_i[d] = Σ_{j < visible_i} weights_i[j] · v_j[d], one FMA chain over j in order per (i, d), the same chain each row
/// would get alone (the rows share the loads of each value vector, not their accumulators). visible_i ≥ 1 and
/// must not decrease with i (a tile's later rows belong to the same or a later query token); the lengths and
/// outputs past numRows are not read. headDim % 8 == 0.
void ck_attention_values_avx2(const float *weights, long ldWeights, int numRows, long visible0, long visible1, long visible2,
                              long visible3, const float *values, const long *blockTable, long blockStride, long blockSize,
                              long headDim, float *out0, float *out1, float *out2, float *out3);
void ck_attention_values_avx512(const float *weights, long ldWeights, int numRows, long visible0, long visible1, long visible2,
                                long visible3, const float *values, const long *blockTable, long blockStride, long blockSize,
                                long headDim, float *out0, float *out1, float *out2, float *out3);
void ck_attention_values_f16_avx2(const float *weights, long ldWeights, int numRows, long visible0, long visible1, long visible2,
                                  long visible3, const uint16_t *values, const long *blockTable, long blockStride, long blockSize,
                                  long headDim, float *out0, float *out1, float *out2, float *out3);
void ck_attention_values_f16_avx512(const float *weights, long ldWeights, int numRows, long visible0, long visible1, long visible2,
                                    long visible3, const uint16_t *values, const long *blockTable, long blockStride, long blockSize,
                                    long headDim, float *out0, float *out1, float *out2, float *out3);

#endif
