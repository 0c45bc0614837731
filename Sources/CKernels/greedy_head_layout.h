// What both GreedyHead kernels (greedy_head_avx512vnni.c, greedy_head_avx2.c) read the same way: the panel layout
// of CGreedyHead.h and the four int8 inputs a panel step multiplies. Include only inside `#if defined(__x86_64__)`.
#ifndef GREEDY_HEAD_LAYOUT_H
#define GREEDY_HEAD_LAYOUT_H

#include <stdint.h>
#include <string.h>

/// A panel holds 16 vocabulary rows; a block is 32 inputs, stored as 8 groups (steps) of 4 inputs × 16 rows.
enum { PANEL = 16, BLOCK = 32, GROUPS = BLOCK / 4, PREFETCH_DISTANCE = 4096 };

/// Four consecutive int8 inputs as one int32, to broadcast.
static inline __attribute__((always_inline)) int32_t load4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

#endif
