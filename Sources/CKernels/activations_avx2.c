// exp, SwiGLU and softmax for AVX2 + FMA (CActivations.h). The plain Swift versions are the reference.
#include "CActivations.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>

#define AVX2 __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline))

/// e^x for eight lanes, Kernels.exp's method (x = n·ln2 + r, degree-6 polynomial, 2^n through the exponent bits)
/// with FMAs. Relative error ≈ 2e-7; inputs clamped to [-87, 88].
INLINE AVX2 __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
    // Adding 1.5·2^23 rounds to an integer, which then sits in the low mantissa bits.
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    const __m256 shifted = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504f), magic);
    const __m256 n = _mm256_sub_ps(shifted, magic);
    // r = x - n·ln2, with ln2 split in two for precision.
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fmadd_ps(n, _mm256_set1_ps(2.1219444e-4f), r);
    __m256 p = _mm256_set1_ps(1.98756915e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.39819995e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665796e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.66666655e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5e-1f));
    p = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
    const __m256i integer = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000));
    const __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(integer, _mm256_set1_epi32(127)), 23));
    return _mm256_mul_ps(p, scale);
}

/// The last `count` (< 8) lanes' worth as a mask for maskload/maskstore.
INLINE AVX2 __m256i tailMask(long count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

AVX2 void ck_silu_mul_avx2(const float *gateUp, float *out, long n, long dim) {
    for (long t = 0; t < n; t++) {
        const float *gate = gateUp + t * 2 * dim, *up = gate + dim;
        float *destination = out + t * dim;
        for (long i = 0; i < dim; i += 8) {
            // A partial last vector reads and writes only its lanes (masked), so no scalar tail.
            const __m256i mask = dim - i >= 8 ? _mm256_set1_epi32(-1) : tailMask(dim - i);
            const __m256 g = _mm256_maskload_ps(gate + i, mask), u = _mm256_maskload_ps(up + i, mask);
            const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), exp8(_mm256_sub_ps(_mm256_setzero_ps(), g))));
            _mm256_maskstore_ps(destination + i, mask, _mm256_mul_ps(silu, u));
        }
    }
}

AVX2 void ck_softmax_prefix_avx2(float *row, long visible, long total) {
    __m256 maxLanes = _mm256_set1_ps(-INFINITY);
    long j = 0;
    for (; j + 8 <= visible; j += 8) maxLanes = _mm256_max_ps(maxLanes, _mm256_loadu_ps(row + j));
    float lanes[8];
    _mm256_storeu_ps(lanes, maxLanes);
    float maxValue = -INFINITY;
    for (int l = 0; l < 8; l++) maxValue = lanes[l] > maxValue ? lanes[l] : maxValue;
    for (; j < visible; j++) maxValue = row[j] > maxValue ? row[j] : maxValue;

    const __m256 shift = _mm256_set1_ps(maxValue);
    __m256 sums = _mm256_setzero_ps();
    for (j = 0; j < visible; j += 8) {
        const __m256i mask = visible - j >= 8 ? _mm256_set1_epi32(-1) : tailMask(visible - j);
        // Masked-off lanes load 0 and would add e^(0 - max): zero them after the exp.
        const __m256 e = _mm256_and_ps(exp8(_mm256_sub_ps(_mm256_maskload_ps(row + j, mask), shift)), _mm256_castsi256_ps(mask));
        _mm256_maskstore_ps(row + j, mask, e);
        sums = _mm256_add_ps(sums, e);
    }
    _mm256_storeu_ps(lanes, sums);
    float sum = 0;
    for (int l = 0; l < 8; l++) sum += lanes[l];
    const __m256 inverse = _mm256_set1_ps(1.0f / sum);
    for (j = 0; j + 8 <= visible; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), inverse));
    for (; j < visible; j++) row[j] *= 1.0f / sum;
    for (j = visible; j < total; j++) row[j] = 0;
}

#else
void ck_silu_mul_avx2(const float *gateUp, float *out, long n, long dim) { __builtin_trap(); }
void ck_softmax_prefix_avx2(float *row, long visible, long total) { __builtin_trap(); }
#endif
