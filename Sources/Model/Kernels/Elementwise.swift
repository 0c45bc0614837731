import CKernels
import Foundation

extension Kernels {
    /// out[i] = x[i] / sqrt(mean(x²) + eps) * weight[i], for each of `n` rows of width `dim`.
    @inline(__always)
    static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, n: Int, dim: Int, eps: Float) {
        for t in 0..<n {
            let row = x + t * dim, dst = out + t * dim
            // Eight lanes of partial sums: a single scalar accumulator would serialize on the add latency.
            var lanes = SIMD8<Float>()
            var i = 0
            while i + 8 <= dim {
                let v = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Float>.self)
                lanes += v * v  // not addProduct: without FMA in the baseline target that is a libm call per lane
                i += 8
            }
            var sumSquares = lanes.sum()
            while i < dim { sumSquares += row[i] * row[i]; i += 1 }
            let scale = 1 / (sumSquares / Float(dim) + eps).squareRoot()
            for i in 0..<dim { dst[i] = weight[i] * (row[i] * scale) }
        }
    }

    /// x += y, then out = rmsnorm(x) · weight, for each of `n` rows of width `dim`: the residual add after a block and
    /// the next block's input norm in one pass over each row, rows split over the kernel threads (between two GEMMs
    /// one core alone would otherwise do both passes while the other waits). Bit for bit `add`, then `rmsNorm`.
    static func addRMSNorm(_ x: UnsafeMutablePointer<Float>, adding y: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                           _ out: UnsafeMutablePointer<Float>, n: Int, dim: Int, eps: Float) {
        let rowsPerItem = 4, numItems = (n + rowsPerItem - 1) / rowsPerItem
        nonisolated(unsafe) let x = x, y = y, weight = weight, out = out
        KernelThreads.shared.forEach(numItems) { item, _ in
            let first = item * rowsPerItem, rows = min(rowsPerItem, n - first)
            add(x + first * dim, y + first * dim, count: rows * dim)
            rmsNorm(x + first * dim, weight: weight, out + first * dim, n: rows, dim: dim, eps: eps)
        }
    }

    /// SwiGLU: gateUp rows hold [gate | up], each `dim` wide; out[i] = silu(gate[i]) * up[i]. Rows are split over
    /// the kernel threads: at batched-decode and prefill sizes the exps are ~2% of a step, which one core alone
    /// would spend while the other waits for the next GEMM.
    static func siluMul(_ gateUp: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, n: Int, dim: Int, path: KernelPath = .selected) {
        let rowsPerItem = 4, numItems = (n + rowsPerItem - 1) / rowsPerItem
        nonisolated(unsafe) let gateUp = gateUp, out = out
        KernelThreads.shared.forEach(numItems) { item, _ in
            let first = item * rowsPerItem, rows = min(rowsPerItem, n - first)
            siluMulRows(gateUp + first * 2 * dim, out + first * dim, n: rows, dim: dim, path: path)
        }
    }

    /// `siluMul` on one thread. The loop below is the reference path; the others run `ck_silu_mul_avx2` (or its
    /// AVX-512 twin, the same bits).
    @inline(__always)
    private static func siluMulRows(_ gateUp: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, n: Int, dim: Int, path: KernelPath) {
        if path.usesCActivations {
            return path.attentionKernel == .avx512 ? ck_silu_mul_avx512(gateUp, out, n, dim) : ck_silu_mul_avx2(gateUp, out, n, dim)
        }
        for t in 0..<n {
            let gate = gateUp + t * 2 * dim, up = gate + dim, dst = out + t * dim
            var i = 0
            // Eight lanes at a time through the vector exp: a libm call per element would dominate the layer's non-matmul time.
            while i + 8 <= dim {
                let g = UnsafeRawPointer(gate + i).loadUnaligned(as: SIMD8<Float>.self)
                let u = UnsafeRawPointer(up + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(dst + i).storeBytes(of: g / (1 + Kernels.exp(-g)) * u, as: SIMD8<Float>.self)
                i += 8
            }
            while i < dim {
                let g = gate[i]
                dst[i] = g / (1 + expf(-g)) * up[i]
                i += 1
            }
        }
    }

    /// x[i] += y[i]
    @inline(__always)
    static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { x[i] += y[i] }
    }
}

extension ReferenceKernels {
    public static func rmsNorm(_ x: [Float], weight: [Float], eps: Float) -> [Float] {
        let meanSquare = x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count)
        let scale = 1 / (meanSquare + Double(eps)).squareRoot()
        return zip(x, weight).map { Float(Double($0) * scale * Double($1)) }
    }

    public static func silu(_ x: Float) -> Float { Float(Double(x) / (1 + exp(-Double(x)))) }
}
