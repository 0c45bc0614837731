// The approximate pass of GreedyHead (contract in CGreedyHead.h) for AVX-512 VNNI: vpdpbusd multiplies the
// panel's 64 bytes (16 vocabulary rows × 4 inputs, u8) by four int8 inputs of a row broadcast from memory, so a
// 32-input block is eight instructions per row, started from the block's correction (the weights' +128 times
// the row's codes) and scaled (the 16 rows' block scales, then the row's) into an f32 sum once per block. Up to 8 rows share each panel load.
#include "CGreedyHead.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include "greedy_head_layout.h"

#define VNNI512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma")))
#define INLINE static inline __attribute__((always_inline))

enum { MAX_TILE_ROWS = 8 };

/// sums[r] = Σ_b xScales[r, b] · (dot_b(r) · panelScales[b]) over the panel's 16 vocabulary rows, for R rows (a constant once inlined).
INLINE VNNI512 void tile(const int8_t *xq, long columns, const float *xScales, const int32_t *xCorrections, const int R,
                         const uint8_t *panel, const float *panelScales, const int prefetch, __m512 sums[MAX_TILE_ROWS]) {
    const long nb = columns / BLOCK;
    for (int r = 0; r < R; r++) sums[r] = _mm512_setzero_ps();
    for (long b = 0; b < nb; b++) {
        __m512i dots[MAX_TILE_ROWS];
        for (int r = 0; r < R; r++) dots[r] = _mm512_set1_epi32(xCorrections[r * nb + b]);
        for (int g = 0; g < GROUPS; g++) {
            const uint8_t *step = panel + (b * GROUPS + g) * 64;
            if (prefetch) _mm_prefetch((const char *)step + PREFETCH_DISTANCE, _MM_HINT_T0);
            const __m512i w = _mm512_loadu_si512((const void *)step);
            for (int r = 0; r < R; r++) {
                dots[r] = _mm512_dpbusd_epi32(dots[r], w, _mm512_set1_epi32(load4(xq + r * columns + b * BLOCK + 4 * g)));
            }
        }
        const __m512 scales = _mm512_loadu_ps(panelScales + PANEL * b);
        for (int r = 0; r < R; r++) {
            const __m512 products = _mm512_mul_ps(_mm512_cvtepi32_ps(dots[r]), scales);
            sums[r] = _mm512_fmadd_ps(products, _mm512_set1_ps(xScales[r * nb + b]), sums[r]);
        }
    }
}

typedef void TileFunction(const int8_t *, long, const float *, const int32_t *, const uint8_t *, const float *, int, __m512 *);
#define TILE(R)                                                                                                          \
    static VNNI512 __attribute__((noinline)) void tile##R(const int8_t *xq, long columns, const float *xScales,          \
                                                          const int32_t *xCorrections, const uint8_t *panel,           \
                                                          const float *panelScales, int prefetch, __m512 *sums) {      \
        if (prefetch) tile(xq, columns, xScales, xCorrections, R, panel, panelScales, 1, sums);                         \
        else tile(xq, columns, xScales, xCorrections, R, panel, panelScales, 0, sums);                                  \
    }
TILE(1) TILE(2) TILE(3) TILE(4) TILE(5) TILE(6) TILE(7) TILE(8)
static TileFunction *const tiles[MAX_TILE_ROWS + 1] = {0, tile1, tile2, tile3, tile4, tile5, tile6, tile7, tile8};

VNNI512 void ck_greedy_head_avx512vnni(const int8_t *xq, const float *xScales, const int32_t *xCorrections, const float *xNorms,
                                       const float *dxNorms, long n, long columns, const uint8_t *panels, const float *scales,
                                       const float *errorNorms, const float *weightNorms, long vocab, long firstPanel,
                                       long lastPanel, float *upper, long ldUpper, float *lowerMax) {
    const long nb = columns / BLOCK;
    for (long p = firstPanel; p < lastPanel; p++) {
        const uint8_t *panel = panels + p * columns * PANEL;
        const long valid = vocab - PANEL * p < PANEL ? vocab - PANEL * p : PANEL;
        const __mmask16 mask = (__mmask16)((1u << valid) - 1);
        const float *panelScales = scales + p * nb * PANEL;
        const __m512 e2 = _mm512_loadu_ps(errorNorms + PANEL * p), w2 = _mm512_loadu_ps(weightNorms + PANEL * p);
        for (long r0 = 0; r0 < n; r0 += MAX_TILE_ROWS) {
            const int R = (int)(n - r0 < MAX_TILE_ROWS ? n - r0 : MAX_TILE_ROWS);
            __m512 sums[MAX_TILE_ROWS];
            tiles[R](xq + r0 * columns, columns, xScales + r0 * nb, xCorrections + r0 * nb, panel, panelScales, r0 == 0, sums);
            for (int r = 0; r < R; r++) {
                const long row = r0 + r;
                const __m512 approx = sums[r];
                const __m512 bound = _mm512_fmadd_ps(e2, _mm512_set1_ps(xNorms[row]), _mm512_mul_ps(w2, _mm512_set1_ps(dxNorms[row])));
                upper[row * ldUpper + p] = _mm512_mask_reduce_max_ps(mask, _mm512_add_ps(approx, bound));
                const float lower = _mm512_mask_reduce_max_ps(mask, _mm512_sub_ps(approx, bound));
                if (lower > lowerMax[row]) lowerMax[row] = lower;
            }
        }
    }
}

#else
void ck_greedy_head_avx512vnni(const int8_t *xq, const float *xScales, const int32_t *xCorrections, const float *xNorms,
                               const float *dxNorms, long n, long columns, const uint8_t *panels, const float *scales,
                               const float *errorNorms, const float *weightNorms, long vocab, long firstPanel,
                               long lastPanel, float *upper, long ldUpper, float *lowerMax) { __builtin_trap(); }
#endif
