import CKernels
import Foundation

/// Which implementation of the kernels runs. The binary is built for plain x86-64 (or arm64); the paths beyond
/// `reference` are C functions compiled for one instruction-set extension each (`CKernels`), taken only when the
/// CPU has it. Default: the best the CPU has. `SERVE_KERNELS=<path>` forces one (the tests run every path the CPU
/// has this way and name the ones it lacks); a forced path the CPU lacks stops the process with a message.
public enum KernelPath: String, CaseIterable, Sendable {
    /// Plain Swift, any CPU: the implementation the others are tested against.
    case reference
    /// AVX2 + FMA: bf16 widened to f32; int8 products by vpmaddubsw + vpmaddwd.
    case avx2
    /// AVX2 + AVX-VNNI: int8 products by vpdpbusd on 256-bit vectors.
    case avxVNNI = "avx-vnni"
    /// AVX-512 F/BW/VL/DQ on 512-bit vectors.
    case avx512
    /// AVX-512 + VNNI: int8 products by vpdpbusd on 512-bit vectors.
    case avx512VNNI = "avx512-vnni"
    /// AVX-512 BF16: bf16 weights times activations rounded to bf16 (vdpbf16ps). Faster, but not within the
    /// tolerance the bf16 default holds against transformers, so only when asked for; never the default.
    case avx512BF16 = "avx512-bf16"

    /// The CPU features this path needs (`CK_*` bits).
    var requiredFeatures: UInt32 {
        switch self {
        case .reference: 0
        case .avx2: UInt32(CK_AVX2_FMA)
        case .avxVNNI: UInt32(CK_AVX2_FMA | CK_AVX_VNNI)
        case .avx512: UInt32(CK_AVX2_FMA | CK_AVX512)
        case .avx512VNNI: UInt32(CK_AVX2_FMA | CK_AVX512 | CK_AVX512_VNNI)
        case .avx512BF16: UInt32(CK_AVX2_FMA | CK_AVX512 | CK_AVX512_BF16)
        }
    }

    public static let cpuFeatures = UInt32(ck_cpu_features())

    public var isSupported: Bool { Self.cpuFeatures & requiredFeatures == requiredFeatures }

    /// The fastest path this CPU supports that keeps the default's accuracy. AVX-512 before AVX2: on a 2-core Zen 5
    /// its GEMM measured ~1.4× AVX2's in prefill and faster in decode too (interleaved `bench model` runs); the
    /// exp-heavy loops use AVX2 on both (CActivations.h). The two give bit-identical results, so the choice is speed only.
    public static var best: KernelPath {
        [.avx512VNNI, .avx512, .avxVNNI, .avx2].first { $0.isSupported } ?? .reference
    }

    /// The path the process runs: `SERVE_KERNELS` if set, else `best`.
    public static let selected: KernelPath = {
        guard let name = ProcessInfo.processInfo.environment["SERVE_KERNELS"], !name.isEmpty else { return best }
        guard let path = KernelPath(rawValue: name) else {
            fatalError("SERVE_KERNELS=\(name) is not a kernel path; one of: \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard path.isSupported else { fatalError("SERVE_KERNELS=\(name): this CPU lacks the instructions that path needs") }
        return path
    }()

    /// The bf16 GEMM kernel this path runs (CBF16Gemm.h). The VNNI paths differ from their base only for int8.
    enum BF16Kernel { case reference, avx2, avx512, avx512BF16 }
    var bf16Kernel: BF16Kernel {
        switch self {
        case .reference: .reference
        case .avx2, .avxVNNI: .avx2
        case .avx512, .avx512VNNI: .avx512
        case .avx512BF16: .avx512BF16
        }
    }

    /// Whether this path has a one- and two-row bf16 kernel on `CodedBF16Panels`: AVX2, and AVX-512 with VBMI.
    /// bf16 matrices keep that copy only when the selected path has one (and, on AVX2, it measures faster).
    public var decodesCodedBF16: Bool {
        switch bf16Kernel {
        case .avx2: true
        case .avx512: Self.cpuFeatures & UInt32(CK_AVX512_VBMI) != 0
        case .reference, .avx512BF16: false
        }
    }

    /// The decode-attention kernel this path runs (CAttention.h).
    enum AttentionKernel { case reference, avx2, avx512 }
    var attentionKernel: AttentionKernel {
        switch self {
        case .reference: .reference
        case .avx2, .avxVNNI: .avx2
        case .avx512, .avx512VNNI, .avx512BF16: .avx512
        }
    }

    /// Whether the exp-heavy elementwise loops (SwiGLU, softmax) run in C (CActivations.h): on every path but
    /// `reference`, the AVX-512 ones included (see CActivations.h for why AVX2 serves both).
    var usesCActivations: Bool { self != .reference }

    /// Whether f16 KV-cache halves are converted by F16C (CHalf.h) rather than Swift's `Float16`: on every path
    /// but `reference` (each needs AVX2, and every AVX2 CPU has F16C, which `CK_AVX2_FMA` checks).
    var usesF16C: Bool { self != .reference }

    /// The paths the tests can run on this CPU.
    public static var supported: [KernelPath] { allCases.filter(\.isSupported) }
}
