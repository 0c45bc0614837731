// The eight-lane and scalar pieces of the decode attention loops, shared by attention_avx2.c and
// attention_avx512.c (which uses them for a block's leftover keys): one copy of each chain, so the two files'
// results agree bit for bit by construction. Compiled for AVX2 + FMA + F16C; an AVX-512 caller has those
// features, so these inline into it. Include only inside `#if defined(__x86_64__)`, after <immintrin.h>.
#ifndef ATTENTION_LANES_H
#define ATTENTION_LANES_H

#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline))

/// Eight consecutive elements of a tile from element index i, as f32.
INLINE AVX2 __m256 load8(const void *tile, long i, const int half) {
    return half ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)tile + i)))
                : _mm256_loadu_ps((const float *)tile + i);
}

/// Element i of a tile, as f32.
INLINE AVX2 float load1(const void *tile, long i, const int half) {
    return half ? _cvtsh_ss(((const uint16_t *)tile)[i]) : ((const float *)tile)[i];
}

/// The tile pointer advanced by i elements.
INLINE const void *advance(const void *tile, long i, const int half) {
    return half ? (const void *)((const uint16_t *)tile + i) : (const void *)((const float *)tile + i);
}

/// Eight keys (slots s..s+7 of one block) against R query rows: even and odd dimensions in separate accumulators,
/// so that each row has two chains in flight.
INLINE AVX2 void scoreEight(const float *const q[4], const int R, const void *keysT, long blockSize, long headDim,
                            float scale, float *scores, long ldScores, const int half) {
    __m256 even[4], odd[4];
    for (int i = 0; i < R; i++) even[i] = odd[i] = _mm256_setzero_ps();
    for (long d = 0; d < headDim; d += 2) {
        const __m256 kEven = load8(keysT, d * blockSize, half), kOdd = load8(keysT, (d + 1) * blockSize, half);
        for (int i = 0; i < R; i++) {
            even[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(q[i] + d), kEven, even[i]);
            odd[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(q[i] + d + 1), kOdd, odd[i]);
        }
    }
    for (int i = 0; i < R; i++) _mm256_storeu_ps(scores + i * ldScores, _mm256_mul_ps(_mm256_add_ps(even[i], odd[i]), _mm256_set1_ps(scale)));
}

/// One key in scalar code, the same chain as a vector lane.
INLINE AVX2 float scoreOne(const float *q, const void *keysT, long blockSize, long headDim, float scale, const int half) {
    float even = 0, odd = 0;
    for (long d = 0; d < headDim; d += 2) {
        even = __builtin_fmaf(q[d], load1(keysT, d * blockSize, half), even);
        odd = __builtin_fmaf(q[d + 1], load1(keysT, (d + 1) * blockSize, half), odd);
    }
    return (even + odd) * scale;
}

#endif
