import CKernels

/// The plain Swift quantized kernels: what runs on CPUs without AVX2 (and on arm64), and what every C path is tested
/// against. Scalar loops, signed products written out (no bias or sign tricks), so a wrong trick in a fast path
/// shows up as a difference here.
enum QuantizedReference {
    /// x [n, columns] → per row and 32-value block: d = max|x| / 127, q = x · (1/d) rounded to nearest even, Σq.
    /// (llama.cpp's reference rounds its Q8_0 half away from zero, its AVX2 code to nearest even; activations are
    /// ours to choose, and nearest even is what vcvtps2dq does, so every path agrees.)
    static func quantizeActivations(_ x: UnsafePointer<Float>, n: Int, columns: Int,
                                    q: UnsafeMutablePointer<Int8>, d: UnsafeMutablePointer<Float>, sum: UnsafeMutablePointer<Int32>) {
        let numBlocks = columns / BlockFormat.blockSize
        for r in 0..<n {
            for b in 0..<numBlocks {
                let start = r * columns + b * BlockFormat.blockSize
                var amax: Float = 0
                for i in 0..<BlockFormat.blockSize { amax = max(amax, abs(x[start + i])) }
                let scale = amax / 127
                let inverse: Float = scale != 0 ? 1 / scale : 0
                var total: Int32 = 0
                for i in 0..<BlockFormat.blockSize {
                    let value = Int8((x[start + i] * inverse).rounded(.toNearestOrEven))
                    q[start + i] = value
                    total += Int32(value)
                }
                d[r * numBlocks + b] = scale
                sum[r * numBlocks + b] = total
            }
        }
    }

    /// y[r, o] for every activation row and the outputs of panels [firstPanel, lastPanel): per output, over blocks
    /// in order, acc = fma(Float(Σ w·x), d_w · d_x, acc), the chain every C path computes lane by lane.
    static func gemm(_ a: cq_activations, _ w: QuantizedPanels, firstPanel: Int, lastPanel: Int, _ y: UnsafeMutablePointer<Float>) {
        let numBlocks = w.numBlocks, columns = Int(a.columns), blockBytes = w.panelBlockBytes
        w.bytes.withUnsafeBufferPointer { bytes in
            for p in firstPanel..<lastPanel {
                let outputs = min(QuantizedPanels.panelRows, w.rows - QuantizedPanels.panelRows * p)
                for r in 0..<Int(a.n) {
                    for j in 0..<outputs {
                        var acc: Float = 0
                        for b in 0..<numBlocks {
                            let block = bytes.baseAddress! + (p * numBlocks + b) * blockBytes
                            let x = a.q + r * columns + b * BlockFormat.blockSize
                            var dot: Int32 = 0
                            for c in 0..<BlockFormat.blockSize { dot += w.quant(block, row: j, column: c) * Int32(x[c]) }
                            acc = acc.addingProduct(Float(dot), w.scale(block, row: j) * a.d[r * numBlocks + b])
                        }
                        y[r * w.rows + QuantizedPanels.panelRows * p + j] = acc
                    }
                }
            }
        }
    }
}
