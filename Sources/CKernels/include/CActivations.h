#ifndef CACTIVATIONS_H
#define CACTIVATIONS_H

// The exp-heavy elementwise loops (Exp.swift, Elementwise.swift, Attention.swift's softmaxPrefix) for AVX2 + FMA.
// The AVX-512 paths call the softmax too: one version keeps its sums (eight lanes, then the lanes in order) identical
// on both paths. SwiGLU, lane by lane, has an AVX-512 twin with the same bits (~2% of a 16-sequence step's time in
// the AVX2 version). Call only when ck_cpu_features() has CK_AVX2_FMA (and CK_AVX512 for the AVX-512 one; elsewhere
// they trap).

/// SwiGLU over n rows: gateUp rows hold [gate | up], each `dim` wide; out[t, i] = silu(gate[i]) · up[i].
void ck_silu_mul_avx2(const float *gateUp, float *out, long n, long dim);
void ck_silu_mul_avx512(const float *gateUp, float *out, long n, long dim);

/// Softmax over row[0..<visible] in place; row[visible..<total] set to 0.
void ck_softmax_prefix_avx2(float *row, long visible, long total);

#endif
