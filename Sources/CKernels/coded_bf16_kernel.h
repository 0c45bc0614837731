// The one- and two-row bf16 GEMM on CodedBF16Panels (see the Swift type for the layout), written once for both
// instruction sets: bf16_coded_avx512.c and bf16_coded_avx2.c each define, before including this file,
//   TARGET                                   the target attribute of their functions
//   CODED_GEMM                               the name of the exported function (CBF16Gemm.h)
//   Decoder, makeDecoder(exponents)          the constants that decoding a coded step needs
//   Weights, codedWeights(&d, step), rawWeights(step)   the 16 f32 weights of a step, outputs 0–15
//   Sums, zeroSums(), addProducts(x, w, sums), storeSums(sums, out)   sums[j] = fma(x, w[j], sums[j])
// addProducts must be the FMA of the plain kernel of the same instruction set, lane by lane, so that the results
// are its bits. Include only inside `#if defined(__x86_64__)`, after <immintrin.h>.
#ifndef CODED_BF16_KERNEL_H
#define CODED_BF16_KERNEL_H

#define INLINE static inline __attribute__((always_inline))

enum { PANEL = 16, BLOCK = 64, CODED_STEP = 24, RAW_STEP = 32, GROUP = 2 };

typedef struct {
    const uint8_t *data;
    const long *offsets;
    long numBlocks, numPanels, columns;
} Coded;

INLINE const uint8_t *blockStart(const Coded *c, long panel, long block) { return c->data + c->offsets[panel * c->numBlocks + block]; }

INLINE int isRaw(const Coded *c, long panel, long block, long count) {
    const long i = panel * c->numBlocks + block;
    return c->offsets[i + 1] - c->offsets[i] == RAW_STEP * count;
}

INLINE TARGET Weights weightsAt(const Decoder *d, const uint8_t *block, const int raw, long step) {
    return raw ? rawWeights(block + RAW_STEP * step) : codedWeights(d, block + CODED_STEP * step);
}

/// sums[r][g] += x[r, s] · w_g[s] over the steps of one block of G panels (raw0, raw1: which are raw), R rows.
/// Prefetches the same steps of the next group's blocks.
INLINE TARGET void blockSteps(const Decoder *d, const float *x, long ldx, const int R, const int G, const uint8_t *const block[GROUP],
                              const int raw0, const int raw1, const uint8_t *const ahead[GROUP], long count, Sums sums[2][GROUP]) {
    for (long s = 0; s < count; s++) {
        Weights w[GROUP];
        for (int g = 0; g < G; g++) {
            _mm_prefetch((const char *)ahead[g] + CODED_STEP * s, _MM_HINT_T0);
            w[g] = weightsAt(d, block[g], g == 0 ? raw0 : raw1, s);
        }
        for (int r = 0; r < R; r++) {
            for (int g = 0; g < G; g++) addProducts(x[r * ldx + s], w[g], &sums[r][g]);
        }
    }
}

/// R rows against G panels from p: R·G chains over blocks of either kind, as the plain kernels' one- and two-row
/// tiles (which also take panels in pairs).
INLINE TARGET void groupTile(const Decoder *d, const Coded *c, const float *x, const int R, const int G, long p, float out[2][GROUP][16]) {
    Sums sums[2][GROUP];
    for (int r = 0; r < 2; r++) for (int g = 0; g < GROUP; g++) sums[r][g] = zeroSums();
    for (long b = 0; b < c->numBlocks; b++) {
        const long k = b * BLOCK, count = c->columns - k < BLOCK ? c->columns - k : BLOCK;
        const uint8_t *block[GROUP], *ahead[GROUP];
        int raw[GROUP] = {0, 0};
        for (int g = 0; g < G; g++) {
            block[g] = blockStart(c, p + g, b);
            raw[g] = isRaw(c, p + g, b, count);
            ahead[g] = p + g + G < c->numPanels ? blockStart(c, p + g + G, b) : block[g];
        }
        // One loop per combination, so that the kind of each block is a constant inside it.
        if (G == 1) {
            if (raw[0]) blockSteps(d, x + k, c->columns, R, 1, block, 1, 0, ahead, count, sums);
            else blockSteps(d, x + k, c->columns, R, 1, block, 0, 0, ahead, count, sums);
        } else if (!raw[0] && !raw[1]) {
            blockSteps(d, x + k, c->columns, R, 2, block, 0, 0, ahead, count, sums);
        } else if (raw[0] && raw[1]) {
            blockSteps(d, x + k, c->columns, R, 2, block, 1, 1, ahead, count, sums);
        } else if (raw[0]) {
            blockSteps(d, x + k, c->columns, R, 2, block, 1, 0, ahead, count, sums);
        } else {
            blockSteps(d, x + k, c->columns, R, 2, block, 0, 1, ahead, count, sums);
        }
    }
    for (int r = 0; r < R; r++) for (int g = 0; g < G; g++) storeSums(sums[r][g], out[r][g]);
}

#define GROUP_TILE(R, G) \
    static TARGET __attribute__((noinline)) void groupTile##R##x##G(const Decoder *d, const Coded *c, const float *x, long p, float out[2][GROUP][16]) { \
        groupTile(d, c, x, R, G, p, out); \
    }
GROUP_TILE(1, 1) GROUP_TILE(1, 2) GROUP_TILE(2, 1) GROUP_TILE(2, 2)

TARGET void CODED_GEMM(const float *x, long n, const uint8_t *data, const long *blockOffsets, long numBlocks,
                       const int32_t *exponents, long columns, long rows, long firstPanel, long lastPanel, float *y) {
    const Decoder d = makeDecoder(exponents);
    const Coded c = {data, blockOffsets, numBlocks, (rows + PANEL - 1) / PANEL, columns};
    for (long p = firstPanel; p < lastPanel; p += GROUP) {
        const int G = p + 1 < lastPanel ? 2 : 1;
        float out[2][GROUP][16];
        if (n == 2) { if (G == 2) groupTile2x2(&d, &c, x, p, out); else groupTile2x1(&d, &c, x, p, out); }
        else { if (G == 2) groupTile1x2(&d, &c, x, p, out); else groupTile1x1(&d, &c, x, p, out); }
        for (long r = 0; r < n; r++) {
            for (int g = 0; g < G; g++) {
                const long q = p + g, outputs = rows - PANEL * q < PANEL ? rows - PANEL * q : PANEL;
                for (long j = 0; j < outputs; j++) y[r * rows + PANEL * q + j] = out[r][g][j];
            }
        }
    }
}

#endif
