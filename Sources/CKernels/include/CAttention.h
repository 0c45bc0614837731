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
/// as two FMA chains over even and odd dimensions, added at the end. headDim must be even.
void ck_attention_scores_avx2(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const float *keys, const long *blockTable,
                              long blockStride, long blockSize, long headDim, long context, float scale,
                              float *scores, long ldScores);
void ck_attention_scores_avx512(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const float *keys, const long *blockTable,
                                long blockStride, long blockSize, long headDim, long context, float scale,
                                float *scores, long ldScores);
void ck_attention_scores_f16_avx2(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const uint16_t *keys, const long *blockTable,
                                  long blockStride, long blockSize, long headDim, long context, float scale,
                                  float *scores, long ldScores);
void ck_attention_scores_f16_avx512(const float *q0, const float *q1, const float *q2, const float *q3, int numQueries, const uint16_t *keys, const long *blockTable,
                                    long blockStride, long blockSize, long headDim, long context, float scale,
                                    float *scores, long ldScores);

/// out[d] = Σ_{j < visible} weights[j] · v_j[d], one FMA chain over j in order per d. headDim % 8 == 0.
void ck_attention_values_avx2(const float *weights, long visible, const float *values, const long *blockTable,
                              long blockStride, long blockSize, long headDim, float *out);
void ck_attention_values_avx512(const float *weights, long visible, const float *values, const long *blockTable,
                                long blockStride, long blockSize, long headDim, float *out);
void ck_attention_values_f16_avx2(const float *weights, long visible, const uint16_t *values, const long *blockTable,
                                  long blockStride, long blockSize, long headDim, float *out);
void ck_attention_values_f16_avx512(const float *weights, long visible, const uint16_t *values, const long *blockTable,
                                    long blockStride, long blockSize, long headDim, float *out);

#endif
