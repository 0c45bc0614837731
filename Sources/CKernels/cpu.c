#include "CKernels.h"

unsigned ck_cpu_features(void) {
    unsigned features = 0;
#if defined(__x86_64__)
    __builtin_cpu_init();
    // F16C too: the AVX2 paths convert halves (q8_0/q4_0 block scales, the f16 KV cache) with it. Every AVX2 CPU has it.
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) features |= CK_AVX2_FMA;
    if ((features & CK_AVX2_FMA) && __builtin_cpu_supports("avxvnni")) features |= CK_AVX_VNNI;
    if ((features & CK_AVX2_FMA) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
        features |= CK_AVX512;
        if (__builtin_cpu_supports("avx512vnni")) features |= CK_AVX512_VNNI;
        if (__builtin_cpu_supports("avx512bf16")) features |= CK_AVX512_BF16;
        if (__builtin_cpu_supports("avx512vbmi")) features |= CK_AVX512_VBMI;
    }
#endif
    return features;
}
