import COpenBLAS

extension Kernels {
    /// y[n, out] = x[n, in] · wᵀ, with w row-major [out, in] (torch.nn.Linear layout). f32 accumulation.
    @inline(__always)
    static func matmul(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, n: Int, inFeatures: Int, outFeatures: Int) {
        if n == 1 {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(outFeatures), Int32(inFeatures), 1, w, Int32(inFeatures), x, 1, 0, y, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(outFeatures), Int32(inFeatures),
                        1, x, Int32(inFeatures), w, Int32(inFeatures), 0, y, Int32(outFeatures))
        }
    }
}

extension ReferenceKernels {
    static func matmul(_ x: [Float], _ w: [Float], n: Int, inFeatures: Int, outFeatures: Int) -> [Float] {
        var y = [Float](repeating: 0, count: n * outFeatures)
        for t in 0..<n {
            for o in 0..<outFeatures {
                var sum: Double = 0
                for i in 0..<inFeatures { sum += Double(x[t * inFeatures + i]) * Double(w[o * inFeatures + i]) }
                y[t * outFeatures + o] = Float(sum)
            }
        }
        return y
    }
}
