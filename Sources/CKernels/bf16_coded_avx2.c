// bf16 products of one or two rows on 12-bit coded weights (CodedBF16Panels in Swift), AVX2 + FMA. Without
// AVX-512's byte permutes a coded step takes ~16 vector instructions for 16 weights instead of four, so this
// wins only where memory is slow enough (CodedBF16Panels.isPreferred measures it). The weights are exactly the
// bf16 ones, multiplied in the same per-lane chains as ck_bf16_gemm_avx2, so the results are the same bits.
#include "CBF16Gemm.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))
#define CODED_GEMM ck_coded_bf16_gemm_avx2
#define DECODER_INLINE static inline __attribute__((always_inline))

/// The exponent of each code split at the byte boundary of an f32: its top 7 bits (byte 3, beside the sign) and
/// its lowest bit (the top bit of byte 2, above the mantissa).
typedef struct { __m128i exponentHigh, exponentLow; } Decoder;
/// Outputs 0–7 and 8–15.
typedef struct { __m256 lo, hi; } Weights;
typedef Weights Sums;

DECODER_INLINE TARGET Decoder makeDecoder(const int32_t *exponents) {
    uint8_t high[16], low[16];
    for (int c = 0; c < 16; c++) {
        const int exponent = exponents[c] >> 23;
        high[c] = (uint8_t)(exponent >> 1);
        low[c] = (uint8_t)((exponent & 1) << 7);
    }
    Decoder d = {_mm_loadu_si128((const __m128i *)high), _mm_loadu_si128((const __m128i *)low)};
    return d;
}

/// The bytes and codes become the two bytes of each bf16 (16-byte vector ops for all 16 outputs at once), then
/// each bf16 is widened to f32.
DECODER_INLINE TARGET Weights codedWeights(const Decoder *d, const uint8_t *step) {
    const __m128i bytes = _mm_loadu_si128((const __m128i *)step), packed = _mm_loadl_epi64((const __m128i *)(step + 16));
    const __m128i nibble = _mm_set1_epi8(0x0F);
    // Byte j: code j (the codes of outputs 2i and 2i + 1 share byte i, low nibble first).
    const __m128i codes = _mm_unpacklo_epi8(_mm_and_si128(packed, nibble), _mm_and_si128(_mm_srli_epi16(packed, 4), nibble));
    const __m128i top = _mm_or_si128(_mm_and_si128(bytes, _mm_set1_epi8((char)0x80)), _mm_shuffle_epi8(d->exponentHigh, codes));
    const __m128i bottom = _mm_or_si128(_mm_and_si128(bytes, _mm_set1_epi8(0x7F)), _mm_shuffle_epi8(d->exponentLow, codes));
    const __m128i bf16Low = _mm_unpacklo_epi8(bottom, top), bf16High = _mm_unpackhi_epi8(bottom, top);
    Weights w = {_mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(bf16Low), 16)),
                 _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(bf16High), 16))};
    return w;
}

/// A raw step: PackedBF16Panels' 32 bytes, widened as bf16_gemm_avx2.c does.
DECODER_INLINE TARGET Weights rawWeights(const uint8_t *step) {
    const __m256i bits = _mm256_loadu_si256((const __m256i *)step);
    Weights w = {_mm256_castsi256_ps(_mm256_slli_epi32(bits, 16)),
                 _mm256_castsi256_ps(_mm256_and_si256(bits, _mm256_set1_epi32((int)0xFFFF0000u)))};
    return w;
}

DECODER_INLINE TARGET Sums zeroSums(void) {
    Sums s = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    return s;
}

DECODER_INLINE TARGET void addProducts(float x, Weights w, Sums *sums) {
    const __m256 s = _mm256_set1_ps(x);
    sums->lo = _mm256_fmadd_ps(s, w.lo, sums->lo);
    sums->hi = _mm256_fmadd_ps(s, w.hi, sums->hi);
}

DECODER_INLINE TARGET void storeSums(Sums sums, float *out) {
    _mm256_storeu_ps(out, sums.lo);
    _mm256_storeu_ps(out + 8, sums.hi);
}

#include "coded_bf16_kernel.h"

#else
void ck_coded_bf16_gemm_avx2(const float *x, long n, const uint8_t *data, const long *blockOffsets, long numBlocks,
                             const int32_t *exponents, long columns, long rows, long firstPanel, long lastPanel, float *y) {
    __builtin_trap();
}
#endif
