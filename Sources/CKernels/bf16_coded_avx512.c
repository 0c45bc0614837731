// bf16 products of one or two rows on 12-bit coded weights (CodedBF16Panels in Swift), AVX-512 with VBMI; the
// loops are coded_bf16_kernel.h's, this file says how to decode a step. A coded input step of a panel is 16 bytes (sign and mantissa of each output) and 8 bytes of 4-bit exponent codes; four instructions
// rebuild the 16 f32 weights: vpshufb puts byte j in bytes 2 and 3 of lane j, vpmultishiftqb puts code j in the
// low bits of lane j, vpermd looks the codes up in the 16 exponents, vpternlogd merges sign | exponent | mantissa.
// The weights are exactly the bf16 ones, multiplied in the same per-lane chain as ck_bf16_gemm_avx512, so the
// results are the same bits.
#include "CBF16Gemm.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,fma")))
#define CODED_GEMM ck_coded_bf16_gemm_avx512vbmi
#define DECODER_INLINE static inline __attribute__((always_inline))

typedef struct { __m512i bytes, codes, exponents, signAndMantissa; } Decoder;
typedef __m512 Weights;
typedef __m512 Sums;

DECODER_INLINE TARGET Decoder makeDecoder(const int32_t *exponents) {
    uint8_t bytes[64], codes[64];
    for (int j = 0; j < 16; j++) {
        // vpshufb works within 16-byte lanes; each holds all 16 bytes of the step (a broadcast).
        bytes[4 * j] = bytes[4 * j + 1] = 0x80;
        bytes[4 * j + 2] = bytes[4 * j + 3] = (uint8_t)j;
        // vpmultishiftqb: byte 0 of lane j takes the 8 bits from bit 4j of the codes; vpermd reads its low 4.
        codes[4 * j] = (uint8_t)(4 * j);
        codes[4 * j + 1] = codes[4 * j + 2] = codes[4 * j + 3] = 0;
    }
    Decoder d = {_mm512_loadu_si512(bytes), _mm512_loadu_si512(codes), _mm512_loadu_si512(exponents),
                 _mm512_set1_epi32((int)0x807F0000u)};
    return d;
}

DECODER_INLINE TARGET Weights codedWeights(const Decoder *d, const uint8_t *step) {
    const __m512i bytes = _mm512_shuffle_epi8(_mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)step)), d->bytes);
    const __m512i codes = _mm512_multishift_epi64_epi8(d->codes, _mm512_broadcastq_epi64(_mm_loadl_epi64((const __m128i *)(step + 16))));
    const __m512i exponents = _mm512_permutexvar_epi32(codes, d->exponents);
    // (bytes & signAndMantissa) | exponents
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(bytes, d->signAndMantissa, exponents, 0xEA));
}

/// A raw step: PackedBF16Panels' 32 bytes, widened as bf16_gemm_avx512.c does.
DECODER_INLINE TARGET Weights rawWeights(const uint8_t *step) {
    __m512i bits = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)step));
    bits = _mm512_mask_slli_epi32(bits, 0x00FF, bits, 16);
    return _mm512_castsi512_ps(_mm512_and_si512(bits, _mm512_set1_epi32((int)0xFFFF0000u)));
}

DECODER_INLINE TARGET Sums zeroSums(void) { return _mm512_setzero_ps(); }
DECODER_INLINE TARGET void addProducts(float x, Weights w, Sums *sums) { *sums = _mm512_fmadd_ps(_mm512_set1_ps(x), w, *sums); }
DECODER_INLINE TARGET void storeSums(Sums sums, float *out) { _mm512_storeu_ps(out, sums); }

#include "coded_bf16_kernel.h"

#else
void ck_coded_bf16_gemm_avx512vbmi(const float *x, long n, const uint8_t *data, const long *blockOffsets, long numBlocks,
                                   const int32_t *exponents, long columns, long rows, long firstPanel, long lastPanel, float *y) {
    __builtin_trap();
}
#endif
