// The approximate pass of GreedyHead (contract in CGreedyHead.h) for AVX2, where there is no vpdpbusd: a panel step's
// 64 bytes (16 vocabulary rows × 4 inputs) are two vectors of 8 rows; each is made signed (code + 128 → code) once
// for all rows, and per row multiplied by four int8 inputs broadcast with llama.cpp's sign trick (vpmaddubsw of |x|
// and sign(x) · w: every pair sum within int16, as codes are in [-127, 127]), vpmaddwd adding pairs to int32. That
// gives the block's integer dot Σ code_w · code_x itself, which the VNNI kernel reaches from its correction; the
// scaling is the same, so the results are the same bits. Up to 4 rows share each panel load.
#include "CGreedyHead.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include "greedy_head_layout.h"

#define AVX2 __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline))

enum { MAX_TILE_ROWS = 4 };

/// The dots of 8 vocabulary rows (signed codes `w`) with the four inputs `x` (broadcast) added to `sum`.
INLINE AVX2 __m256i dot4(__m256i sum, __m256i w, __m256i x) {
    const __m256i products = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(w, x));
    return _mm256_add_epi32(sum, _mm256_madd_epi16(products, _mm256_set1_epi16(1)));
}

/// sums[r][0..1] = Σ_b xScales[r, b] · (dot_b(r) · panelScales[b]) over the panel's rows 0–7 and 8–15, for R rows.
INLINE AVX2 void tile(const int8_t *xq, long columns, const float *xScales, const int R, const uint8_t *panel,
                      const float *panelScales, const int prefetch, __m256 sums[MAX_TILE_ROWS][2]) {
    const long nb = columns / BLOCK;
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    for (int r = 0; r < R; r++) sums[r][0] = sums[r][1] = _mm256_setzero_ps();
    for (long b = 0; b < nb; b++) {
        __m256i dots[MAX_TILE_ROWS][2];
        for (int r = 0; r < R; r++) dots[r][0] = dots[r][1] = _mm256_setzero_si256();
        for (int g = 0; g < GROUPS; g++) {
            const uint8_t *step = panel + (b * GROUPS + g) * 64;
            if (prefetch) _mm_prefetch((const char *)step + PREFETCH_DISTANCE, _MM_HINT_T0);
            const __m256i w0 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)step), flip);
            const __m256i w1 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(step + 32)), flip);
            for (int r = 0; r < R; r++) {
                const __m256i x = _mm256_set1_epi32(load4(xq + r * columns + b * BLOCK + 4 * g));
                dots[r][0] = dot4(dots[r][0], w0, x);
                dots[r][1] = dot4(dots[r][1], w1, x);
            }
        }
        const __m256 scales0 = _mm256_loadu_ps(panelScales + PANEL * b), scales1 = _mm256_loadu_ps(panelScales + PANEL * b + 8);
        for (int r = 0; r < R; r++) {
            const __m256 xScale = _mm256_set1_ps(xScales[r * nb + b]);
            sums[r][0] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(dots[r][0]), scales0), xScale, sums[r][0]);
            sums[r][1] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(dots[r][1]), scales1), xScale, sums[r][1]);
        }
    }
}

typedef void TileFunction(const int8_t *, long, const float *, const uint8_t *, const float *, int, __m256 (*)[2]);
#define TILE(R)                                                                                                          \
    static AVX2 __attribute__((noinline)) void tile##R(const int8_t *xq, long columns, const float *xScales,            \
                                                       const uint8_t *panel, const float *panelScales, int prefetch,   \
                                                       __m256 (*sums)[2]) {                                            \
        if (prefetch) tile(xq, columns, xScales, R, panel, panelScales, 1, sums);                                       \
        else tile(xq, columns, xScales, R, panel, panelScales, 0, sums);                                                \
    }
TILE(1) TILE(2) TILE(3) TILE(4)
static TileFunction *const tiles[MAX_TILE_ROWS + 1] = {0, tile1, tile2, tile3, tile4};

/// The largest of the first `valid` lanes of a and b (lanes 0–7, then 8–15).
INLINE AVX2 float maxOfLanes(__m256 a, __m256 b, long valid) {
    float lanes[16];
    _mm256_storeu_ps(lanes, a);
    _mm256_storeu_ps(lanes + 8, b);
    float m = lanes[0];
    for (long i = 1; i < valid; i++) m = lanes[i] > m ? lanes[i] : m;
    return m;
}

AVX2 void ck_greedy_head_avx2(const int8_t *xq, const float *xScales, const float *xNorms, const float *dxNorms, long n,
                              long columns, const uint8_t *panels, const float *scales, const float *errorNorms,
                              const float *weightNorms, long vocab, long firstPanel, long lastPanel, float *upper,
                              long ldUpper, float *lowerMax) {
    const long nb = columns / BLOCK;
    for (long p = firstPanel; p < lastPanel; p++) {
        const uint8_t *panel = panels + p * columns * PANEL;
        const long valid = vocab - PANEL * p < PANEL ? vocab - PANEL * p : PANEL;
        const float *panelScales = scales + p * nb * PANEL;
        const __m256 e0 = _mm256_loadu_ps(errorNorms + PANEL * p), e1 = _mm256_loadu_ps(errorNorms + PANEL * p + 8);
        const __m256 w0 = _mm256_loadu_ps(weightNorms + PANEL * p), w1 = _mm256_loadu_ps(weightNorms + PANEL * p + 8);
        for (long r0 = 0; r0 < n; r0 += MAX_TILE_ROWS) {
            const int R = (int)(n - r0 < MAX_TILE_ROWS ? n - r0 : MAX_TILE_ROWS);
            __m256 sums[MAX_TILE_ROWS][2];
            tiles[R](xq + r0 * columns, columns, xScales + r0 * nb, panel, panelScales, r0 == 0, sums);
            for (int r = 0; r < R; r++) {
                const long row = r0 + r;
                const __m256 x2 = _mm256_set1_ps(xNorms[row]), dx2 = _mm256_set1_ps(dxNorms[row]);
                const __m256 bound0 = _mm256_fmadd_ps(e0, x2, _mm256_mul_ps(w0, dx2));
                const __m256 bound1 = _mm256_fmadd_ps(e1, x2, _mm256_mul_ps(w1, dx2));
                upper[row * ldUpper + p] = maxOfLanes(_mm256_add_ps(sums[r][0], bound0), _mm256_add_ps(sums[r][1], bound1), valid);
                const float lower = maxOfLanes(_mm256_sub_ps(sums[r][0], bound0), _mm256_sub_ps(sums[r][1], bound1), valid);
                if (lower > lowerMax[row]) lowerMax[row] = lower;
            }
        }
    }
}

#else
void ck_greedy_head_avx2(const int8_t *xq, const float *xScales, const float *xNorms, const float *dxNorms, long n,
                         long columns, const uint8_t *panels, const float *scales, const float *errorNorms,
                         const float *weightNorms, long vocab, long firstPanel, long lastPanel, float *upper,
                         long ldUpper, float *lowerMax) { __builtin_trap(); }
#endif
