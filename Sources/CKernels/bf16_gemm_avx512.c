// bf16 panel GEMM for AVX-512: the AVX2 version's scheme (see bf16_gemm_avx2.c) with a panel's 16 outputs in one
// vector and twice the registers (32), so row tiles grow to 16 rows (16 accumulators, a panel step, a broadcast;
// 12 rows for the two-panel tiles: 24 accumulators). A 16-row decode step thus runs as one tile, not two of 8, and
// each panel step is loaded and widened once (bench model-matmul --rows 16: 11.5–11.8 → 10.7–11.3 ms a step).
// A decode works on two panels at once (two chains per row): measured faster than four (fewer concurrent DRAM
// streams) and than the AVX2 kernel.
// Same per-lane chain as AVX2 (acc = fma(x[k], w[k], acc) from 0, k in order): the results agree bit for bit.
#include "CBF16Gemm.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))
#define INLINE static inline __attribute__((always_inline))

enum { PANEL_BLOCK = 64, PREFETCH_DISTANCE = 4096, PANEL = 16, MAX_TILE_ROWS = 16, MAX_PAIR_TILE_ROWS = 12, GROUP = 2, PAIR_MIN_ROWS = 32 };

/// The 16 weights of a panel at input k as f32. The 32-byte step is loaded into both halves of the vector; the
/// low half shifts its low bf16 up (outputs 0–7), the high half keeps its high bf16 (outputs 8–15).
INLINE AVX512 __m512 weights16(const uint32_t *panel, long k) {
    __m512i bits = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(panel + 8 * k)));
    bits = _mm512_mask_slli_epi32(bits, 0x00FF, bits, 16);
    return _mm512_castsi512_ps(_mm512_and_si512(bits, _mm512_set1_epi32((int)0xFFFF0000u)));
}

/// out[r · ldOut ..< +16] = (first ? 0 : sums[r]) + Σ_{k < count} x[r, k] · panel[k] for r < R (constant after
/// inlining). `out` is `sums` (ldOut 16) until a panel's last block, whose results go straight to y. The broadcast
/// of x[r, k] folds into the FMA as a memory operand.
INLINE AVX512 void tile(const float *x, long ldx, const int R, const uint32_t *panel, long count, const float *sums, float *out, long ldOut,
                        const int prefetch, const int first) {
    __m512 a[MAX_TILE_ROWS];
    for (int r = 0; r < R; r++) a[r] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(sums + 16 * r);
    const char *ahead = (const char *)panel + PREFETCH_DISTANCE;
    for (long k = 0; k < count; k++) {
        if (prefetch) _mm_prefetch(ahead + 32 * k, _MM_HINT_T0);
        const __m512 w = weights16(panel, k);
        for (int r = 0; r < R; r++) a[r] = _mm512_fmadd_ps(_mm512_set1_ps(x[r * ldx + k]), w, a[r]);
    }
    for (int r = 0; r < R; r++) _mm512_storeu_ps(out + ldOut * r, a[r]);
}

typedef void TileFunction(const float *, long, const uint32_t *, long, const float *, float *, long, int, int);
#define TILE(R) \
    static AVX512 __attribute__((noinline)) void tile##R(const float *x, long ldx, const uint32_t *panel, long count, const float *sums, \
                                                         float *out, long ldOut, int prefetch, int first) { \
        if (prefetch) tile(x, ldx, R, panel, count, sums, out, ldOut, 1, first); else tile(x, ldx, R, panel, count, sums, out, ldOut, 0, first); \
    }
TILE(3) TILE(4) TILE(5) TILE(6) TILE(7) TILE(8) TILE(9) TILE(10) TILE(11) TILE(12) TILE(13) TILE(14) TILE(15) TILE(16)
static TileFunction *const tiles[MAX_TILE_ROWS + 1] = {
    0, 0, 0, tile3, tile4, tile5, tile6, tile7, tile8, tile9, tile10, tile11, tile12, tile13, tile14, tile15, tile16,
};

/// `tile` over two panels at once: sums[r][0..<32] for panels p0 (lanes 0–15) and p1 (16–31). Each x[r, k] broadcast
/// feeds two FMAs, so a k step loads R + 2 operands for 2R FMAs instead of R + 1 for R: a 16-row step was bound by
/// loads, not FMAs. Each lane's chain is `tile`'s, so the results are the same bits. Used from PAIR_MIN_ROWS rows
/// (prefill, verify chunks): measured slower below, where the weights' DRAM stream rather than the loads sets the pace.
INLINE AVX512 void pairTile(const float *x, long ldx, const int R, const uint32_t *p0, const uint32_t *p1, long count, const float *sums,
                            float *out, long ldOut, const int prefetch, const int first) {
    __m512 a[MAX_PAIR_TILE_ROWS][2];
    for (int r = 0; r < R; r++) {
        a[r][0] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(sums + 32 * r);
        a[r][1] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(sums + 32 * r + 16);
    }
    const char *ahead0 = (const char *)p0 + PREFETCH_DISTANCE, *ahead1 = (const char *)p1 + PREFETCH_DISTANCE;
    for (long k = 0; k < count; k++) {
        if (prefetch) {
            _mm_prefetch(ahead0 + 32 * k, _MM_HINT_T0);
            _mm_prefetch(ahead1 + 32 * k, _MM_HINT_T0);
        }
        const __m512 w0 = weights16(p0, k), w1 = weights16(p1, k);
        for (int r = 0; r < R; r++) {
            const __m512 s = _mm512_set1_ps(x[r * ldx + k]);
            a[r][0] = _mm512_fmadd_ps(s, w0, a[r][0]);
            a[r][1] = _mm512_fmadd_ps(s, w1, a[r][1]);
        }
    }
    for (int r = 0; r < R; r++) {
        _mm512_storeu_ps(out + ldOut * r, a[r][0]);
        _mm512_storeu_ps(out + ldOut * r + 16, a[r][1]);
    }
}

typedef void PairTileFunction(const float *, long, const uint32_t *, const uint32_t *, long, const float *, float *, long, int, int);
#define PAIR_TILE(R) \
    static AVX512 __attribute__((noinline)) void pairTile##R(const float *x, long ldx, const uint32_t *p0, const uint32_t *p1, long count, \
                                                             const float *sums, float *out, long ldOut, int prefetch, int first) { \
        if (prefetch) pairTile(x, ldx, R, p0, p1, count, sums, out, ldOut, 1, first); \
        else pairTile(x, ldx, R, p0, p1, count, sums, out, ldOut, 0, first); \
    }
PAIR_TILE(3) PAIR_TILE(4) PAIR_TILE(5) PAIR_TILE(6) PAIR_TILE(7) PAIR_TILE(8) PAIR_TILE(9) PAIR_TILE(10) PAIR_TILE(11) PAIR_TILE(12)
static PairTileFunction *const pairTiles[MAX_PAIR_TILE_ROWS + 1] = {
    0, 0, 0, pairTile3, pairTile4, pairTile5, pairTile6, pairTile7, pairTile8, pairTile9, pairTile10, pairTile11, pairTile12,
};

/// One or two rows against GROUP panels at once (missing panels repeat the first and are not stored): R·GROUP
/// independent chains for a decode. Prefetches the next group, step k of each panel at step k here.
INLINE AVX512 void groupTile(const float *x, long ldx, const int R, const uint32_t *const p[GROUP], long columns, float out[2][GROUP][16]) {
    __m512 a[2][GROUP];
    for (int r = 0; r < 2; r++) for (int g = 0; g < GROUP; g++) a[r][g] = _mm512_setzero_ps();
    for (long k = 0; k < columns; k++) {
        __m512 w[GROUP];
        for (int g = 0; g < GROUP; g++) {
            _mm_prefetch((const char *)(p[g] + GROUP * 8 * columns) + 32 * k, _MM_HINT_T0);
            w[g] = weights16(p[g], k);
        }
        for (int r = 0; r < R; r++) {
            const __m512 s = _mm512_set1_ps(x[r * ldx + k]);
            for (int g = 0; g < GROUP; g++) a[r][g] = _mm512_fmadd_ps(s, w[g], a[r][g]);
        }
    }
    for (int r = 0; r < R; r++) for (int g = 0; g < GROUP; g++) _mm512_storeu_ps(out[r][g], a[r][g]);
}

static AVX512 __attribute__((noinline)) void groupTile1(const float *x, long ldx, const uint32_t *const p[GROUP], long columns, float out[2][GROUP][16]) {
    groupTile(x, ldx, 1, p, columns, out);
}
static AVX512 __attribute__((noinline)) void groupTile2(const float *x, long ldx, const uint32_t *const p[GROUP], long columns, float out[2][GROUP][16]) {
    groupTile(x, ldx, 2, p, columns, out);
}

INLINE AVX512 void storeRow(const float *sums, float *row, long outputs) {
    _mm512_mask_storeu_ps(row, (__mmask16)((1u << outputs) - 1), _mm512_loadu_ps(sums));
}

AVX512 void ck_bf16_gemm_avx512(const float *x, long n, const uint32_t *panels, long columns, long rows,
                                long firstPanel, long lastPanel, float *y, float *sums) {
    const long stride = 8 * columns;
    if (n <= 2) {
        for (long p = firstPanel; p < lastPanel; p += GROUP) {
            const uint32_t *group[GROUP];
            for (int g = 0; g < GROUP; g++) group[g] = panels + (p + g < lastPanel ? p + g : p) * stride;
            float out[2][GROUP][16];
            if (n == 2) groupTile2(x, columns, group, columns, out); else groupTile1(x, columns, group, columns, out);
            for (long r = 0; r < n; r++) {
                for (int g = 0; g < GROUP && p + g < lastPanel; g++) {
                    const long q = p + g, outputs = rows - PANEL * q < PANEL ? rows - PANEL * q : PANEL;
                    storeRow(out[r][g], y + r * rows + PANEL * q, outputs);
                }
            }
        }
        return;
    }
    long p = firstPanel;
    const long numPairTiles = (n + MAX_PAIR_TILE_ROWS - 1) / MAX_PAIR_TILE_ROWS;
    for (; n >= PAIR_MIN_ROWS && p + 1 < lastPanel; p += 2) {
        const uint32_t *p0 = panels + p * stride, *p1 = p0 + stride;
        // Both panels full: the last block's results go straight to y.
        const int direct = rows >= PANEL * (p + 2);
        for (long k = 0; k < columns; k += PANEL_BLOCK) {
            const long count = columns - k < PANEL_BLOCK ? columns - k : PANEL_BLOCK;
            const int last = k + PANEL_BLOCK >= columns;
            long t = 0;
            for (long tileIndex = 0; tileIndex < numPairTiles; tileIndex++) {
                const long tileRows = n / numPairTiles + (tileIndex < n % numPairTiles ? 1 : 0);
                float *out = last && direct ? y + t * rows + PANEL * p : sums + 32 * t;
                pairTiles[tileRows](x + t * columns + k, columns, p0 + 8 * k, p1 + 8 * k, count, sums + 32 * t, out,
                                    last && direct ? rows : 32, tileIndex == 0, k == 0);
                t += tileRows;
            }
        }
        if (direct) continue;
        for (int half = 0; half < 2; half++) {
            const long q = p + half, outputs = rows - PANEL * q < PANEL ? rows - PANEL * q : PANEL;
            for (long r = 0; r < n; r++) storeRow(sums + 32 * r + 16 * half, y + r * rows + PANEL * q, outputs);
        }
    }
    const long numTiles = (n + MAX_TILE_ROWS - 1) / MAX_TILE_ROWS;
    for (; p < lastPanel; p++) {
        const uint32_t *panel = panels + p * stride;
        const long outputs = rows - PANEL * p < PANEL ? rows - PANEL * p : PANEL;
        for (long k = 0; k < columns; k += PANEL_BLOCK) {
            const long count = columns - k < PANEL_BLOCK ? columns - k : PANEL_BLOCK;
            const int direct = k + PANEL_BLOCK >= columns && outputs == PANEL;
            long t = 0;
            for (long tileIndex = 0; tileIndex < numTiles; tileIndex++) {
                const long tileRows = n / numTiles + (tileIndex < n % numTiles ? 1 : 0);
                tiles[tileRows](x + t * columns + k, columns, panel + 8 * k, count, sums + 16 * t,
                                direct ? y + t * rows + PANEL * p : sums + 16 * t, direct ? rows : 16, tileIndex == 0, k == 0);
                t += tileRows;
            }
        }
        if (outputs < PANEL) for (long r = 0; r < n; r++) storeRow(sums + 16 * r, y + r * rows + PANEL * p, outputs);
    }
}

#else
void ck_bf16_gemm_avx512(const float *x, long n, const uint32_t *panels, long columns, long rows,
                         long firstPanel, long lastPanel, float *y, float *sums) { __builtin_trap(); }
#endif
