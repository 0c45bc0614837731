import Foundation

extension CodedBF16Panels {
    /// Whether bf16 matrices get this copy: when the selected kernel path decodes it and that pays. AVX-512 VBMI
    /// decodes in four instructions, which always paid here; the AVX2 decoder takes ~16 and measured slower than
    /// plain bf16 on a machine that streams ~50 GB/s, while the slower memory of other AVX2 machines may hide it.
    /// So on AVX2 the first model load times both (`codedIsFaster`). `SERVE_BF16_CODING=off` (or `on`) decides.
    public static let isPreferred: Bool = {
        let path = KernelPath.selected
        guard path.decodesCodedBF16 else { return false }
        switch ProcessInfo.processInfo.environment["SERVE_BF16_CODING"] {
        case "off": return false
        case "on": return true
        default: return path.bf16Kernel == .avx512 || codedIsFaster(path: path)
        }
    }()

    /// One-row products of a 48 MB matrix (beyond the caches, shaped like an LM head) with each copy, best of five
    /// each: whether the coded one takes at most 95% of the plain one's time. Both give the same bits, so the
    /// answer only decides speed.
    static func codedIsFaster(path: KernelPath) -> Bool {
        let rows = 40_960, columns = 576
        var generator = SystemRandomNumberGenerator()
        // Weights spread like a trained matrix's: magnitudes over several exponents, both signs.
        let bits = (0..<rows * columns).map { _ in
            UInt16(truncatingIfNeeded: (Float.random(in: -0.1...0.1, using: &generator)).bitPattern >> 16)
        }
        let matrix = WeightMatrix(rows: rows, columns: columns, bf16: bits, coded: true)
        guard case .bf16(let plain) = matrix.storage, let coded = matrix.coded else { return false }
        let x = [Float](repeating: 0.01, count: columns)
        var y = [Float](repeating: 0, count: rows)
        func best(_ product: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> UInt64 {
            (0..<5).map { _ in
                let start = DispatchTime.now().uptimeNanoseconds
                x.withUnsafeBufferPointer { x in y.withUnsafeMutableBufferPointer { product(x.baseAddress!, $0.baseAddress!) } }
                return DispatchTime.now().uptimeNanoseconds - start
            }.min()!
        }
        let plainTime = best { Kernels.matmulPackedBF16($0, plain, $1, n: 1, path: path) }
        let codedTime = best { Kernels.matmulCodedBF16($0, coded, $1, n: 1, path: path) }
        return Double(codedTime) <= 0.95 * Double(plainTime)
    }
}
