#ifndef CHALF_H
#define CHALF_H

#include <stdint.h>

// f32 <-> IEEE f16 conversion by F16C (vcvtps2ph with round-to-nearest-even, vcvtph2ps) for the f16 KV cache
// (PagedLayerView.store, Attention.swift's gatherKV). Halves are uint16_t bit patterns. The reference path uses
// Swift's Float16, which rounds the same way (KVCacheTests compares them). Call only when ck_cpu_features() has
// CK_AVX2_FMA (elsewhere they trap).

/// dst[i · dstStride] = half(src[i]) for i < n, rounded to nearest even.
void ck_f16_from_f32(const float *src, uint16_t *dst, long n, long dstStride);

/// dst[i] = src[i] widened (exactly) to f32, for i < n.
void ck_f32_from_f16(const uint16_t *src, float *dst, long n);

#endif
