import CKernels
import COpenBLAS
import Foundation

extension Kernels {
    /// Copies one kv head's keys of positions 0..<count into a contiguous transposed matrix [headDim, count]
    /// and its values into [count, headDim], as f32: an f16 cache is widened here, so the BLAS calls stay f32.
    static func gatherKV(layer: PagedLayerView, kvHead: Int, blockTable: [Int], count: Int,
                         keysT: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>, path: KernelPath = .selected) {
        let hd = layer.headDim, bs = layer.blockSize
        // dst[0..<n] = the n cache elements from element `from` of `tile` (keys or values), as f32.
        func copy(_ tile: UnsafeMutableRawPointer, from: Int, to dst: UnsafeMutablePointer<Float>, _ n: Int) {
            switch layer.dtype {
            case .f32: dst.update(from: tile.assumingMemoryBound(to: Float.self) + from, count: n)
            case .f16:
                let halves = tile.assumingMemoryBound(to: UInt16.self) + from
                if path.usesF16C { return ck_f32_from_f16(halves, dst, n) }
                for i in 0..<n { dst[i] = Float(Float16(bitPattern: halves[i])) }
            }
        }
        var position = 0
        for block in blockTable where position < count {
            let length = min(bs, count - position)
            let tile = layer.tileOffset(block: block, kvHead: kvHead)
            for d in 0..<hd { copy(layer.keys, from: tile + d * bs, to: keysT + d * count + position, length) }
            copy(layer.values, from: tile, to: values + position * hd, length * hd)
            position += length
        }
    }

    /// Causal attention of one query head for rows `rows` of a chunk whose row t sits at position
    /// numCachedTokens + t, against its kv head's gathered keys (transposed: [headDim, keyStride]) and values
    /// ([≥ visible context, headDim]). q rows (this head's slice) at `qStride`, output rows likewise at
    /// `outStride`; both point at row 0 of the chunk. Two GEMMs: scores = scale · q · Kᵀ, then out = softmax(scores) · V.
    static func attentionRows(
        q: UnsafePointer<Float>, qStride: Int, out: UnsafeMutablePointer<Float>, outStride: Int, rows: Range<Int>,
        numCachedTokens: Int, headDim hd: Int, keysT: UnsafePointer<Float>, keyStride: Int, values: UnsafePointer<Float>,
        scores: UnsafeMutablePointer<Float>, path: KernelPath = .selected
    ) {
        let n = rows.count, context = numCachedTokens + rows.upperBound
        let scale = 1 / Float(hd).squareRoot()
        // scores[n, context] = scale · q[rows, hd] · Kᵀ[hd, context]
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(context), Int32(hd),
                    scale, q + rows.lowerBound * qStride, Int32(qStride), keysT, Int32(keyStride), 0, scores, Int32(context))
        for (i, t) in rows.enumerated() {
            softmaxPrefix(scores + i * context, visible: numCachedTokens + t + 1, total: context, path: path)
        }
        // out[rows, hd] = scores[n, context] · V[context, hd]
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(hd), Int32(context),
                    1, scores, Int32(context), values, Int32(hd), 0, out + rows.lowerBound * outStride, Int32(outStride))
    }

    /// Softmax over row[0..<visible]; row[visible..<total] (future positions) set to 0. The loops below are the
    /// reference path; the others run `ck_softmax_prefix_avx2`.
    @inline(__always)
    static func softmaxPrefix(_ row: UnsafeMutablePointer<Float>, visible: Int, total: Int, path: KernelPath = .selected) {
        if path.usesCActivations { return ck_softmax_prefix_avx2(row, visible, total) }
        var maxValue = -Float.infinity
        for j in 0..<visible { maxValue = max(maxValue, row[j]) }
        var sum: Float = 0
        var j = 0
        var sums = SIMD8<Float>()
        let shift = SIMD8<Float>(repeating: maxValue)
        while j + 8 <= visible {
            let raw = UnsafeMutableRawPointer(row + j)
            let e = exp(raw.loadUnaligned(as: SIMD8<Float>.self) - shift)
            raw.storeBytes(of: e, as: SIMD8<Float>.self)
            sums += e
            j += 8
        }
        sum = sums.sum()
        while j < visible {
            let e = expf(row[j] - maxValue)
            row[j] = e
            sum += e
            j += 1
        }
        let inverse = 1 / sum
        for j in 0..<visible { row[j] *= inverse }
        for j in visible..<total { row[j] = 0 }
    }
}

extension ReferenceKernels {
    /// Naive causal GQA attention over plain arrays: q [n, numHeads*hd], keys/values [context, numKVHeads*hd]
    /// where the n queries are the last n positions of the context.
    public static func attention(q: [Float], keys: [Float], values: [Float], n: Int, contextLength: Int,
                                 numHeads: Int, numKVHeads: Int, headDim hd: Int) -> [Float] {
        var out = [Float](repeating: 0, count: n * numHeads * hd)
        let group = numHeads / numKVHeads
        for t in 0..<n {
            let visible = contextLength - n + t + 1
            for h in 0..<numHeads {
                let kvh = h / group
                var scores = (0..<visible).map { j -> Double in
                    var dot = 0.0
                    for d in 0..<hd { dot += Double(q[t * numHeads * hd + h * hd + d]) * Double(keys[j * numKVHeads * hd + kvh * hd + d]) }
                    return dot / Double(hd).squareRoot()
                }
                let m = scores.max()!
                scores = scores.map { exp($0 - m) }
                let sum = scores.reduce(0, +)
                for d in 0..<hd {
                    var acc = 0.0
                    for j in 0..<visible { acc += scores[j] / sum * Double(values[j * numKVHeads * hd + kvh * hd + d]) }
                    out[t * numHeads * hd + h * hd + d] = Float(acc)
                }
            }
        }
        return out
    }
}
