// bf16 panel GEMM by vdpbf16ps (AVX-512 BF16), opt-in: activations are rounded to bf16, so results differ from the
// f32 paths by about bf16's precision (2^-9 relative per activation). Same panels, blocking and prefetch as
// bf16_gemm_avx512.c; one instruction covers two input steps.
#include "CBF16Gemm.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,fma")))
#define INLINE static inline __attribute__((always_inline))

enum { PANEL_PAIRS = 32, PREFETCH_DISTANCE = 4096, PANEL = 16, MAX_TILE_ROWS = 12, GROUP = 2 };

BF16 void ck_bf16_round_pairs_avx512bf16(const float *x, long n, long columns, uint32_t *xPairs) {
    const long halfColumns = (columns + 1) / 2;
    for (long r = 0; r < n; r++) {
        const float *row = x + r * columns;
        uint32_t *out = xPairs + r * halfColumns;
        long i = 0;
        for (; 2 * i + 32 <= columns; i += 16) {
            // cvtne2ps puts its second operand's 16 values in the low half: that gives x[2i..2i+31] in order.
            __m512bh both = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(row + 2 * i + 16), _mm512_loadu_ps(row + 2 * i));
            _mm512_storeu_si512(out + i, (__m512i)both);
        }
        for (; i < halfColumns; i++) {
            float lo = row[2 * i], hi = 2 * i + 1 < columns ? row[2 * i + 1] : 0;
            __m128bh b = _mm_cvtneps_pbh(_mm_setr_ps(lo, hi, 0, 0));
            out[i] = (uint32_t)_mm_cvtsi128_si32((__m128i)b);
        }
    }
}

/// Two input steps of a panel (64 bytes: step k's eight u32, then step k + 1's) rearranged so that u32 lane j
/// holds output j's weights at k (low) and k + 1 (high), the pairs vdpbf16ps multiplies. `half`: step k + 1 is
/// past the end of the panel and reads as 0.
INLINE BF16 __m512bh weightPairs(const uint32_t *steps, const int half) {
    // Word 2j + s of the result = word 16s + (j < 8 ? 2j : 2(j - 8) + 1) of the two steps.
    static const uint16_t order[32] = {0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30,
                                       1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31};
    const __m512i index = _mm512_loadu_si512(order);
    const __m512i bits = half ? _mm512_maskz_loadu_epi32(0x00FF, steps) : _mm512_loadu_si512(steps);
    return (__m512bh)_mm512_permutexvar_epi16(index, bits);
}

/// sums[r] = (first ? 0 : sums[r]) + Σ over `pairs` input pairs; the last is half a pair when `half`.
INLINE BF16 void tile(const uint32_t *xp, long ldx, const int R, const uint32_t *panel, long pairs, const int half,
                      float *sums, const int prefetch, const int first) {
    __m512 a[MAX_TILE_ROWS];
    for (int r = 0; r < R; r++) a[r] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(sums + 16 * r);
    const char *ahead = (const char *)panel + PREFETCH_DISTANCE;
    for (long i = 0; i < pairs; i++) {
        if (prefetch) _mm_prefetch(ahead + 64 * i, _MM_HINT_T0);
        const __m512bh w = weightPairs(panel + 16 * i, half && i == pairs - 1);
        for (int r = 0; r < R; r++) a[r] = _mm512_dpbf16_ps(a[r], (__m512bh)_mm512_set1_epi32((int)xp[r * ldx + i]), w);
    }
    for (int r = 0; r < R; r++) _mm512_storeu_ps(sums + 16 * r, a[r]);
}

typedef void TileFunction(const uint32_t *, long, const uint32_t *, long, int, float *, int, int);
#define TILE(R) \
    static BF16 __attribute__((noinline)) void tile##R(const uint32_t *xp, long ldx, const uint32_t *panel, long pairs, int half, float *sums, int prefetch, int first) { \
        if (prefetch) tile(xp, ldx, R, panel, pairs, half, sums, 1, first); else tile(xp, ldx, R, panel, pairs, half, sums, 0, first); \
    }
TILE(1) TILE(2) TILE(3) TILE(4) TILE(5) TILE(6) TILE(7) TILE(8) TILE(9) TILE(10) TILE(11) TILE(12)
static TileFunction *const tiles[MAX_TILE_ROWS + 1] = {
    0, tile1, tile2, tile3, tile4, tile5, tile6, tile7, tile8, tile9, tile10, tile11, tile12,
};

/// One or two rows against GROUP panels at once (missing panels repeat the first and are not stored).
INLINE BF16 void groupTile(const uint32_t *xp, long ldx, const int R, const uint32_t *const p[GROUP], long columns, float out[2][GROUP][16]) {
    __m512 a[2][GROUP];
    for (int r = 0; r < 2; r++) for (int g = 0; g < GROUP; g++) a[r][g] = _mm512_setzero_ps();
    const long pairs = (columns + 1) / 2;
    const int half = columns % 2;
    for (long i = 0; i < pairs; i++) {
        __m512bh w[GROUP];
        for (int g = 0; g < GROUP; g++) {
            _mm_prefetch((const char *)(p[g] + GROUP * 8 * columns) + 64 * i, _MM_HINT_T0);
            w[g] = weightPairs(p[g] + 16 * i, half && i == pairs - 1);
        }
        for (int r = 0; r < R; r++) {
            const __m512bh s = (__m512bh)_mm512_set1_epi32((int)xp[r * ldx + i]);
            for (int g = 0; g < GROUP; g++) a[r][g] = _mm512_dpbf16_ps(a[r][g], s, w[g]);
        }
    }
    for (int r = 0; r < R; r++) for (int g = 0; g < GROUP; g++) _mm512_storeu_ps(out[r][g], a[r][g]);
}

static BF16 __attribute__((noinline)) void groupTile1(const uint32_t *xp, long ldx, const uint32_t *const p[GROUP], long columns, float out[2][GROUP][16]) {
    groupTile(xp, ldx, 1, p, columns, out);
}
static BF16 __attribute__((noinline)) void groupTile2(const uint32_t *xp, long ldx, const uint32_t *const p[GROUP], long columns, float out[2][GROUP][16]) {
    groupTile(xp, ldx, 2, p, columns, out);
}

INLINE BF16 void storeRow(const float *sums, float *row, long outputs) {
    _mm512_mask_storeu_ps(row, (__mmask16)((1u << outputs) - 1), _mm512_loadu_ps(sums));
}

BF16 void ck_bf16_gemm_avx512bf16(const uint32_t *xPairs, long n, const uint32_t *panels, long columns, long rows,
                                  long firstPanel, long lastPanel, float *y, float *sums) {
    const long stride = 8 * columns, ldx = (columns + 1) / 2;
    if (n <= 2) {
        for (long p = firstPanel; p < lastPanel; p += GROUP) {
            const uint32_t *group[GROUP];
            for (int g = 0; g < GROUP; g++) group[g] = panels + (p + g < lastPanel ? p + g : p) * stride;
            float out[2][GROUP][16];
            if (n == 2) groupTile2(xPairs, ldx, group, columns, out); else groupTile1(xPairs, ldx, group, columns, out);
            for (long r = 0; r < n; r++) {
                for (int g = 0; g < GROUP && p + g < lastPanel; g++) {
                    const long q = p + g, outputs = rows - PANEL * q < PANEL ? rows - PANEL * q : PANEL;
                    storeRow(out[r][g], y + r * rows + PANEL * q, outputs);
                }
            }
        }
        return;
    }
    const long numTiles = (n + MAX_TILE_ROWS - 1) / MAX_TILE_ROWS, totalPairs = ldx;
    for (long p = firstPanel; p < lastPanel; p++) {
        const uint32_t *panel = panels + p * stride;
        for (long i = 0; i < totalPairs; i += PANEL_PAIRS) {
            const long pairs = totalPairs - i < PANEL_PAIRS ? totalPairs - i : PANEL_PAIRS;
            const int half = (columns % 2) && i + pairs == totalPairs;
            long t = 0;
            for (long tileIndex = 0; tileIndex < numTiles; tileIndex++) {
                const long tileRows = n / numTiles + (tileIndex < n % numTiles ? 1 : 0);
                tiles[tileRows](xPairs + t * ldx + i, ldx, panel + 16 * i, pairs, half, sums + 16 * t, tileIndex == 0, i == 0);
                t += tileRows;
            }
        }
        const long outputs = rows - PANEL * p < PANEL ? rows - PANEL * p : PANEL;
        for (long r = 0; r < n; r++) storeRow(sums + 16 * r, y + r * rows + PANEL * p, outputs);
    }
}

#else
void ck_bf16_round_pairs_avx512bf16(const float *x, long n, long columns, uint32_t *xPairs) { __builtin_trap(); }
void ck_bf16_gemm_avx512bf16(const uint32_t *xPairs, long n, const uint32_t *panels, long columns, long rows,
                             long firstPanel, long lastPanel, float *y, float *sums) { __builtin_trap(); }
#endif
