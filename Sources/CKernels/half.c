// f32 <-> f16 conversion with F16C (contract in CHalf.h).
#include "CHalf.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define F16C __attribute__((target("avx2,f16c")))

F16C void ck_f16_from_f32(const float *src, uint16_t *dst, long n, long dstStride) {
    long i = 0;
    if (dstStride == 1) {
        for (; i + 8 <= n; i += 8) {
            _mm_storeu_si128((__m128i *)(dst + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
        }
    } else {
        // A key goes into its tile's column (keys are stored transposed): convert eight, scatter them.
        for (; i + 8 <= n; i += 8) {
            uint16_t halves[8];
            _mm_storeu_si128((__m128i *)halves, _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
            for (int k = 0; k < 8; k++) dst[(i + k) * dstStride] = halves[k];
        }
    }
    for (; i < n; i++) dst[i * dstStride] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT);
}

F16C void ck_f32_from_f16(const uint16_t *src, float *dst, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    for (; i < n; i++) dst[i] = _cvtsh_ss(src[i]);
}

#else
void ck_f16_from_f32(const float *src, uint16_t *dst, long n, long dstStride) { __builtin_trap(); }
void ck_f32_from_f16(const uint16_t *src, float *dst, long n) { __builtin_trap(); }
#endif
