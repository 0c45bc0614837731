// Shared by quant_avx2.c and quant_avxvnni.c (not a public header): the 256-bit step that turns a block's integer
// dots into the f32 chains, one copy for both paths so their results agree bit for bit by construction.
// Include only inside `#if defined(__x86_64__)`, after <immintrin.h>.
#ifndef CQUANT_LANES256_H
#define CQUANT_LANES256_H

// Adds one block's integer dots (two halves of 8 outputs) into the f32 chains.
static inline __attribute__((always_inline, target("avx2,fma,f16c"))) void finish_block(__m256 *acc, __m256i dot0, __m256i dot1, const uint8_t *scales, float dx) {
    const __m256 sx = _mm256_set1_ps(dx);
    const __m256 s0 = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)scales)), sx);
    const __m256 s1 = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(scales + 16))), sx);
    acc[0] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot0), s0, acc[0]);
    acc[1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot1), s1, acc[1]);
}

#endif
