// bf16 panel GEMM for AVX2 + FMA. See CBF16Gemm.h for the contract and PackedBF16.swift for the layout and the
// blocking scheme (which the Swift reference path follows too).
#include "CBF16Gemm.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline))

// Input steps per block when several row tiles share a panel (64 steps = 2 KiB of panel): the first tile reads
// the block from DRAM, the others from L1. Prefetch 4 KiB ahead of the weights being multiplied.
enum { PANEL_BLOCK = 64, PREFETCH_DISTANCE = 4096, PANEL = 16 };

/// The 16 weights of a panel at input k as f32: outputs 0–7 from the low halves, 8–15 from the high halves.
INLINE AVX2 void weights16(const uint32_t *panel, long k, __m256 *lo, __m256 *hi) {
    __m256i bits = _mm256_loadu_si256((const __m256i *)(panel + 8 * k));
    *lo = _mm256_castsi256_ps(_mm256_slli_epi32(bits, 16));
    *hi = _mm256_castsi256_ps(_mm256_and_si256(bits, _mm256_set1_epi32((int)0xFFFF0000u)));
}

/// out[r · ldOut ..< +16] = (first ? 0 : sums[r]) + Σ_{k < count} x[r, k] · panel[k] for r < R: `out` is `sums` (ldOut
/// 16) until a full panel's last block, whose results go straight to y. Inlined with a constant R so the row loops
/// unroll and the 2·R accumulators live in registers.
INLINE AVX2 void tile(const float *x, long ldx, const int R, const uint32_t *panel, long count, const float *sums, float *out, long ldOut,
                      const int prefetch, const int first) {
    __m256 lo[6], hi[6];
    for (int r = 0; r < R; r++) {
        lo[r] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(sums + 16 * r);
        hi[r] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(sums + 16 * r + 8);
    }
    const char *ahead = (const char *)panel + PREFETCH_DISTANCE;
    for (long k = 0; k < count; k++) {
        // A step reads half a cache line; prefetching at every step (each line twice) is cheaper than testing k.
        if (prefetch) _mm_prefetch(ahead + 32 * k, _MM_HINT_T0);
        __m256 wl, wh;
        weights16(panel, k, &wl, &wh);
        for (int r = 0; r < R; r++) {
            __m256 s = _mm256_broadcast_ss(x + r * ldx + k);
            lo[r] = _mm256_fmadd_ps(s, wl, lo[r]);
            hi[r] = _mm256_fmadd_ps(s, wh, hi[r]);
        }
    }
    for (int r = 0; r < R; r++) { _mm256_storeu_ps(out + ldOut * r, lo[r]); _mm256_storeu_ps(out + ldOut * r + 8, hi[r]); }
}

#define TILE(R) \
    static AVX2 __attribute__((noinline)) void tile##R(const float *x, long ldx, const uint32_t *panel, long count, const float *sums, \
                                                       float *out, long ldOut, int prefetch, int first) { \
        if (prefetch) tile(x, ldx, R, panel, count, sums, out, ldOut, 1, first); \
        else tile(x, ldx, R, panel, count, sums, out, ldOut, 0, first); \
    }
TILE(3) TILE(4) TILE(5) TILE(6)

/// One or two rows against two panels at once (the second may be absent: then it repeats the first and is not
/// stored), so a one-row decode still has four FMA chains in flight. Meanwhile it prefetches the next pair, step k
/// of both panels at step k here.
INLINE AVX2 void pairTile(const float *x, long ldx, const int R, const uint32_t *p0, const uint32_t *p1, long columns, float out[2][2][16]) {
    __m256 a[2][2][2];  // [row][panel][half]
    for (int r = 0; r < 2; r++) for (int p = 0; p < 2; p++) a[r][p][0] = a[r][p][1] = _mm256_setzero_ps();
    const char *next0 = (const char *)(p0 + 2 * 8 * columns), *next1 = (const char *)(p1 + 2 * 8 * columns);
    for (long k = 0; k < columns; k++) {
        _mm_prefetch(next0 + 32 * k, _MM_HINT_T0);
        _mm_prefetch(next1 + 32 * k, _MM_HINT_T0);
        __m256 w[2][2];
        weights16(p0, k, &w[0][0], &w[0][1]);
        weights16(p1, k, &w[1][0], &w[1][1]);
        for (int r = 0; r < R; r++) {
            __m256 s = _mm256_broadcast_ss(x + r * ldx + k);
            for (int p = 0; p < 2; p++) for (int h = 0; h < 2; h++) a[r][p][h] = _mm256_fmadd_ps(s, w[p][h], a[r][p][h]);
        }
    }
    for (int r = 0; r < R; r++) for (int p = 0; p < 2; p++) {
        _mm256_storeu_ps(out[r][p], a[r][p][0]);
        _mm256_storeu_ps(out[r][p] + 8, a[r][p][1]);
    }
}

static AVX2 __attribute__((noinline)) void pairTile1(const float *x, long ldx, const uint32_t *p0, const uint32_t *p1, long columns, float out[2][2][16]) {
    pairTile(x, ldx, 1, p0, p1, columns, out);
}
static AVX2 __attribute__((noinline)) void pairTile2(const float *x, long ldx, const uint32_t *p0, const uint32_t *p1, long columns, float out[2][2][16]) {
    pairTile(x, ldx, 2, p0, p1, columns, out);
}

static inline void storeRow(const float *sums, float *row, long outputs) {
    for (long j = 0; j < outputs; j++) row[j] = sums[j];
}

AVX2 void ck_bf16_gemm_avx2(const float *x, long n, const uint32_t *panels, long columns, long rows,
                            long firstPanel, long lastPanel, float *y, float *sums) {
    const long stride = 8 * columns;  // u32 per panel
    if (n <= 2) {
        for (long p = firstPanel; p < lastPanel; p += 2) {
            const int hasSecond = p + 1 < lastPanel;
            const uint32_t *p0 = panels + p * stride, *p1 = hasSecond ? p0 + stride : p0;
            float out[2][2][16];
            if (n == 2) pairTile2(x, columns, p0, p1, columns, out); else pairTile1(x, columns, p0, p1, columns, out);
            for (long r = 0; r < n; r++) {
                storeRow(out[r][0], y + r * rows + PANEL * p, rows - PANEL * p < PANEL ? rows - PANEL * p : PANEL);
                if (hasSecond) {
                    long q = p + 1;
                    storeRow(out[r][1], y + r * rows + PANEL * q, rows - PANEL * q < PANEL ? rows - PANEL * q : PANEL);
                }
            }
        }
        return;
    }
    // Tiles of three to six rows, as even as possible (nine rows run as 5 + 4, not 6 + 3); they take turns over
    // blocks of PANEL_BLOCK input steps, the first tile prefetching for all.
    const long numTiles = (n + 5) / 6;
    for (long p = firstPanel; p < lastPanel; p++) {
        const uint32_t *panel = panels + p * stride;
        const long outputs = rows - PANEL * p < PANEL ? rows - PANEL * p : PANEL;
        for (long k = 0; k < columns; k += PANEL_BLOCK) {
            const long count = columns - k < PANEL_BLOCK ? columns - k : PANEL_BLOCK;
            const int direct = k + PANEL_BLOCK >= columns && outputs == PANEL;
            long t = 0;
            for (long tileIndex = 0; tileIndex < numTiles; tileIndex++) {
                const long tileRows = n / numTiles + (tileIndex < n % numTiles ? 1 : 0);
                const float *xt = x + t * columns + k, *st = sums + 16 * t;
                float *out = direct ? y + t * rows + PANEL * p : sums + 16 * t;
                const long ldOut = direct ? rows : 16;
                const int prefetch = tileIndex == 0;
                switch (tileRows) {
                case 6: tile6(xt, columns, panel + 8 * k, count, st, out, ldOut, prefetch, k == 0); break;
                case 5: tile5(xt, columns, panel + 8 * k, count, st, out, ldOut, prefetch, k == 0); break;
                case 4: tile4(xt, columns, panel + 8 * k, count, st, out, ldOut, prefetch, k == 0); break;
                default: tile3(xt, columns, panel + 8 * k, count, st, out, ldOut, prefetch, k == 0); break;
                }
                t += tileRows;
            }
        }
        if (outputs < PANEL) for (long r = 0; r < n; r++) storeRow(sums + 16 * r, y + r * rows + PANEL * p, outputs);
    }
}

#else
void ck_bf16_gemm_avx2(const float *x, long n, const uint32_t *panels, long columns, long rows,
                       long firstPanel, long lastPanel, float *y, float *sums) { __builtin_trap(); }
#endif
