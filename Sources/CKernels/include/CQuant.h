#ifndef CQUANT_H
#define CQUANT_H

// Quantized (Q8_0 / Q4_0) matrix products: y[n, rows] = x[n, columns] · Wᵀ with W stored as llama.cpp's 32-value
// blocks, repacked into panels of 16 output rows (Sources/Model/Kernels/QuantizedPanels.swift describes the layout
// and holds the plain Swift reference every function here is tested against). One function per instruction set,
// each with its own `target` attribute, called only when `ck_cpu_features()` reports it. On CPUs other than x86-64
// they are absent and Swift uses its reference.

#include <stdint.h>

/// Rows of a weight panel, and values per block.
enum { CQ_PANEL_ROWS = 16, CQ_BLOCK = 32 };
/// Bytes of one panel block: 16 f16 scales, then the 16 rows' quants (int8 for Q8_0, nibbles for Q4_0).
enum { CQ_Q8_0_PANEL_BLOCK_BYTES = 32 + 16 * 32, CQ_Q4_0_PANEL_BLOCK_BYTES = 32 + 16 * 16 };

/// Activations quantized per row and 32-value block: q = round(x / d) in [-127, 127], d = max|x| / 127.
typedef struct {
    const int8_t *q;    // [n][columns]
    const float *d;     // [n][columns / 32]
    const int32_t *sum; // [n][columns / 32]: Σ q over the block (the correction for unsigned weight bytes)
    int n;
    int columns;
} cq_activations;

#if defined(__x86_64__)
/// Quantizes x [n][columns] (columns a multiple of 32) into q, d, sum; same results as the Swift reference.
void cq_quantize_activations_avx2(const float *x, int n, int columns, int8_t *q, float *d, int32_t *sum);

/// y[r * rows + o] for every activation row r and every output o of panels [first_panel, last_panel).
void cq_gemm_q8_0_avx2(const cq_activations *a, const uint8_t *panels, int rows, int first_panel, int last_panel, float *y);
void cq_gemm_q4_0_avx2(const cq_activations *a, const uint8_t *panels, int rows, int first_panel, int last_panel, float *y);
void cq_gemm_q8_0_avxvnni(const cq_activations *a, const uint8_t *panels, int rows, int first_panel, int last_panel, float *y);
void cq_gemm_q4_0_avxvnni(const cq_activations *a, const uint8_t *panels, int rows, int first_panel, int last_panel, float *y);
void cq_gemm_q8_0_avx512(const cq_activations *a, const uint8_t *panels, int rows, int first_panel, int last_panel, float *y);
void cq_gemm_q4_0_avx512(const cq_activations *a, const uint8_t *panels, int rows, int first_panel, int last_panel, float *y);
void cq_gemm_q8_0_avx512vnni(const cq_activations *a, const uint8_t *panels, int rows, int first_panel, int last_panel, float *y);
void cq_gemm_q4_0_avx512vnni(const cq_activations *a, const uint8_t *panels, int rows, int first_panel, int last_panel, float *y);
#endif

/// A fast 64-bit hash of `count` bytes (four lanes of multiply-xor over 8-byte words), for cache keys: not
/// cryptographic, only to notice that a model file changed.
uint64_t cq_hash64(const void *bytes, uint64_t count, uint64_t seed);

#endif
