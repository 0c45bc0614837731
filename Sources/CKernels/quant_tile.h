// Shared by the quant_*.c files (not a public header): the loop over panels and row tiles that every path uses.
// A path defines a tile function `TILE(a, r0, R, panel, nb, out)` computing rows r0..r0+R-1 against one panel into
// out[R][16], then expands CQ_DEFINE_GEMM. Every output is one f32 chain over the blocks in order,
// acc = fma(float(block dot), dw · dx, acc), whatever R is, so a row's result never depends on its tile.
#ifndef CQUANT_TILE_H
#define CQUANT_TILE_H

#include "include/CQuant.h"
#include <string.h>

#define CQ_DEFINE_GEMM(name, TILE, BLOCK_BYTES, MAX_R)                                                          \
    void name(const cq_activations *a, const uint8_t *panels, int rows, int first_panel, int last_panel,        \
              float *y) {                                                                                       \
        const int nb = a->columns / CQ_BLOCK;                                                                   \
        float out[MAX_R][CQ_PANEL_ROWS];                                                                        \
        for (int p = first_panel; p < last_panel; p++) {                                                        \
            const uint8_t *panel = panels + (size_t)p * nb * (BLOCK_BYTES);                                     \
            const int outputs = rows - CQ_PANEL_ROWS * p < CQ_PANEL_ROWS ? rows - CQ_PANEL_ROWS * p : CQ_PANEL_ROWS; \
            for (int r0 = 0; r0 < a->n; r0 += MAX_R) {                                                          \
                const int count = a->n - r0 < MAX_R ? a->n - r0 : MAX_R;                                        \
                switch (count) {                                                                                \
                case 1: TILE(a, r0, 1, panel, nb, out); break;                                                  \
                case 2: TILE(a, r0, 2, panel, nb, out); break;                                                  \
                case 3: TILE(a, r0, 3 <= MAX_R ? 3 : 1, panel, nb, out); break;                                 \
                default: TILE(a, r0, 4 <= MAX_R ? 4 : 1, panel, nb, out); break;                                \
                }                                                                                               \
                for (int r = 0; r < count; r++)                                                                 \
                    memcpy(y + (size_t)(r0 + r) * rows + CQ_PANEL_ROWS * p, out[r], sizeof(float) * outputs);   \
            }                                                                                                   \
        }                                                                                                       \
    }

static inline __attribute__((always_inline)) int32_t cq_load4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

#endif
