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

/// The tiles of consecutive blocks lie wherever the block table put them, so the hardware prefetcher, which follows
/// a stream, stops at the end of each (4 KiB for f32 at 16 slots × 64 dimensions) and every tile starts with misses.
/// The loops prefetch ahead instead: keys and values PREFETCH_BLOCKS blocks ahead, and the scores pass also the
/// values of the block it scores, which the values pass reads next. Measured on 16 sequences × 256 tokens (f32 and
/// f16, blocks of 16): two blocks ahead beat one, three and four; prefetching to L2 (T1) was slower.
enum { PREFETCH_BLOCKS = 2 };

/// Starts bringing the cache line holding element i of a tile into L1.
INLINE void prefetchLine(const void *tile, long i, const int half) {
    _mm_prefetch((const char *)advance(tile, i, half), _MM_HINT_T0);
}

/// The tile for the loop at block b to prefetch: block b + PREFETCH_BLOCKS's if the loop will reach it (it starts
/// before `end`), else block b's own (fetched already; the table has no entries past the context).
INLINE const void *tileAhead(const void *tiles, const long *blockTable, long b, long blockSize, long blockStride, long end,
                             const int half) {
    const long ahead = (b + PREFETCH_BLOCKS) * blockSize < end ? b + PREFETCH_BLOCKS : b;
    return advance(tiles, blockTable[ahead] * blockStride, half);
}

/// Eight keys (slots s..s+7 of one block) against R query rows: even and odd dimensions in separate accumulators,
/// so that each row has two chains in flight. Prefetches, at the same offsets, the keys tile `keysAhead` and the
/// values tile `valuesT` (tiles are the same size, so the offsets of all slot groups together cover it).
INLINE AVX2 void scoreEight(const float *const q[4], const int R, const void *keysT, const void *keysAhead, const void *valuesT,
                            long blockSize, long headDim, float scale, float *scores, long ldScores, const int half) {
    __m256 even[4], odd[4];
    for (int i = 0; i < R; i++) even[i] = odd[i] = _mm256_setzero_ps();
    for (long d = 0; d < headDim; d += 2) {
        prefetchLine(keysAhead, d * blockSize, half);
        prefetchLine(keysAhead, (d + 1) * blockSize, half);
        prefetchLine(valuesT, d * blockSize, half);
        prefetchLine(valuesT, (d + 1) * blockSize, half);
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

/// Defines `valuesTile` for a file's target attribute over that file's own `valuesSpan` (R rows over one span of
/// positions). The rows of a tile, whose visible lengths grow with the row, run together over
/// [visible_{k-1}, visible_k) (from 0 for k = 0), so each row's chains cover exactly its own prefix, in order.
#define DEFINE_VALUES_TILE(TARGET) \
INLINE TARGET void valuesTile(const float *weights, long ldWeights, int numRows, const long visible[4], float *const out[4], \
                              const void *values, const long *blockTable, long blockStride, long blockSize, long headDim, \
                              const int half) { \
    long from = 0; \
    for (int k = 0; k < numRows; k++) { \
        if (k > 0 && visible[k] == from) continue; \
        const float *w = weights + k * ldWeights; \
        switch (numRows - k) { \
        case 4: valuesSpan(w, ldWeights, out + k, 4, from, visible[k], values, blockTable, blockStride, blockSize, headDim, half); break; \
        case 3: valuesSpan(w, ldWeights, out + k, 3, from, visible[k], values, blockTable, blockStride, blockSize, headDim, half); break; \
        case 2: valuesSpan(w, ldWeights, out + k, 2, from, visible[k], values, blockTable, blockStride, blockSize, headDim, half); break; \
        default: valuesSpan(w, ldWeights, out + k, 1, from, visible[k], values, blockTable, blockStride, blockSize, headDim, half); break; \
        } \
        from = visible[k]; \
    } \
}

#endif
