#ifndef CKERNELS_H
#define CKERNELS_H

// Kernels Swift cannot write: instructions it has no name for (vpmaddubsw, vpdpbusd, vdpbf16ps, prefetch)
// and code compiled for an instruction set the whole binary may not assume. Each function that uses an
// extension carries a `target` attribute and is called only when `ck_cpu_features` reports that extension;
// the rest of the binary is plain x86-64 (or arm64), so it starts on any CPU.

#include "CPrefetch.h"
#include "CBF16Gemm.h"
#include "CAttention.h"
#include "CHalf.h"
#include "CActivations.h"
#include "CQuant.h"
#include "CGreedyHead.h"

/// CPU features, as bits of `ck_cpu_features()`.
enum {
    CK_AVX2_FMA = 1 << 0,       // AVX2, FMA3 and F16C (Haswell, Zen 1 and later)
    CK_AVX_VNNI = 1 << 1,       // VEX-encoded vpdpbusd on 256-bit vectors (Alder Lake, Zen 5)
    CK_AVX512 = 1 << 2,         // AVX-512 F + BW + VL + DQ (Skylake-X, Zen 4 and later)
    CK_AVX512_VNNI = 1 << 3,    // vpdpbusd on 512-bit vectors (Cascade Lake, Zen 4)
    CK_AVX512_BF16 = 1 << 4,    // vdpbf16ps (Cooper Lake, Zen 4)
    CK_AVX512_VBMI = 1 << 5,    // vpermb, vpmultishiftqb (Ice Lake, Zen 4)
};

/// The features of the CPU this process runs on (0 on CPUs other than x86-64).
unsigned ck_cpu_features(void);

#endif
