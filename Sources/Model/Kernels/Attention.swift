import COpenBLAS
import Foundation

/// Where one layer's keys and values live and how the paged cache is laid out.
struct PagedLayerView {
    let keys: UnsafeMutablePointer<Float>    // this layer's [block][kvHead][slot][headDim]
    let values: UnsafeMutablePointer<Float>
    let blockSize: Int
    let numKVHeads: Int
    let headDim: Int

    @inline(__always)
    func offset(block: Int, kvHead: Int, slot: Int) -> Int {
        ((block * numKVHeads + kvHead) * blockSize + slot) * headDim
    }
}

extension Kernels {
    /// Causal attention for one sequence's `n` new tokens at positions numCached..<numCached+n,
    /// whose keys/values are already in the cache. q rows are [numHeads * headDim] at `qStride`;
    /// output rows likewise at `outStride`. Grouped-query: head h reads kv head h / (numHeads / numKVHeads).
    ///
    /// Per kv head the context's keys and values are gathered into contiguous matrices, so the
    /// score and weighted-sum products are two GEMMs per query head.
    static func attention(
        q: UnsafePointer<Float>, qStride: Int, out: UnsafeMutablePointer<Float>, outStride: Int,
        n: Int, numCachedTokens: Int, blockTable: [Int], layer: PagedLayerView, numHeads: Int,
        keyScratch: UnsafeMutablePointer<Float>, valueScratch: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>
    ) {
        let hd = layer.headDim, bs = layer.blockSize
        let contextLength = numCachedTokens + n
        let groupSize = numHeads / layer.numKVHeads
        let scale = 1 / Float(hd).squareRoot()
        for kvHead in 0..<layer.numKVHeads {
            // Gather [contextLength, headDim] keys and values: each (block, kvHead) is contiguous.
            var position = 0
            for block in blockTable where position < contextLength {
                let count = min(bs, contextLength - position)
                let src = layer.offset(block: block, kvHead: kvHead, slot: 0)
                (keyScratch + position * hd).update(from: layer.keys + src, count: count * hd)
                (valueScratch + position * hd).update(from: layer.values + src, count: count * hd)
                position += count
            }
            for head in kvHead * groupSize..<(kvHead + 1) * groupSize {
                // scores[n, context] = scale · q_head[n, hd] · Kᵀ
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(contextLength), Int32(hd),
                            scale, q + head * hd, Int32(qStride), keyScratch, Int32(hd), 0, scores, Int32(contextLength))
                for t in 0..<n {
                    // Token t sits at position numCached + t and sees positions 0...numCached + t.
                    softmaxPrefix(scores + t * contextLength, visible: numCachedTokens + t + 1, total: contextLength)
                }
                // out_head[n, hd] = scores[n, context] · V[context, hd]
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(hd), Int32(contextLength),
                            1, scores, Int32(contextLength), valueScratch, Int32(hd), 0, out + head * hd, Int32(outStride))
            }
        }
    }

    /// Softmax over row[0..<visible]; row[visible..<total] (future positions) set to 0.
    @inline(__always)
    static func softmaxPrefix(_ row: UnsafeMutablePointer<Float>, visible: Int, total: Int) {
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
