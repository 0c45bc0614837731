import Foundation

extension Kernels {
    /// Causal attention of the `groupSize` query heads that share kv head `kvHead`, for a few query tokens
    /// (row t at position numCachedTokens + t), reading keys and values straight from their cache blocks:
    /// no gather and no BLAS call, which for one query row cost more than the math. q and out rows hold all
    /// heads ([numHeads · headDim] at their strides). scores: [groupSize, numCachedTokens + n]. Needs headDim % 8 == 0.
    static func attentionDirect(
        q: UnsafePointer<Float>, qStride: Int, out: UnsafeMutablePointer<Float>, outStride: Int,
        n: Int, numCachedTokens: Int, blockTable: [Int], layer: PagedLayerView, kvHead: Int, groupSize: Int,
        scores: UnsafeMutablePointer<Float>
    ) {
        let hd = layer.headDim, bs = layer.blockSize, lanes = hd / 8
        let scale = 1 / Float(hd).squareRoot()
        let contextLength = numCachedTokens + n
        for t in 0..<n {
            let visible = numCachedTokens + t + 1
            let firstHead = kvHead * groupSize
            // scores[g · contextLength + j] = scale · q_(firstHead + g) · k_j
            var position = 0
            for block in blockTable where position < visible {
                let count = min(bs, visible - position)
                let keys = layer.keys + layer.offset(block: block, kvHead: kvHead, slot: 0)
                for slot in 0..<count {
                    let key = UnsafeRawPointer(keys + slot * hd)
                    for g in 0..<groupSize {
                        let query = UnsafeRawPointer(q + t * qStride + (firstHead + g) * hd)
                        var dot = SIMD8<Float>()
                        for lane in 0..<lanes {
                            dot.addProduct(query.loadUnaligned(fromByteOffset: 32 * lane, as: SIMD8<Float>.self),
                                           key.loadUnaligned(fromByteOffset: 32 * lane, as: SIMD8<Float>.self))
                        }
                        scores[g * contextLength + position + slot] = dot.sum() * scale
                    }
                }
                position += count
            }
            for g in 0..<groupSize {
                softmaxPrefix(scores + g * contextLength, visible: visible, total: visible)
            }
            // out_(firstHead + g) = Σ_j scores[g, j] · v_j
            for g in 0..<groupSize {
                let destination = out + t * outStride + (firstHead + g) * hd
                destination.initialize(repeating: 0, count: hd)
            }
            position = 0
            for block in blockTable where position < visible {
                let count = min(bs, visible - position)
                let values = layer.values + layer.offset(block: block, kvHead: kvHead, slot: 0)
                for g in 0..<groupSize {
                    let destination = UnsafeMutableRawPointer(out + t * outStride + (firstHead + g) * hd)
                    for lane in 0..<lanes {
                        var acc = destination.loadUnaligned(fromByteOffset: 32 * lane, as: SIMD8<Float>.self)
                        for slot in 0..<count {
                            let weight = SIMD8<Float>(repeating: scores[g * contextLength + position + slot])
                            acc.addProduct(weight, UnsafeRawPointer(values + slot * hd).loadUnaligned(fromByteOffset: 32 * lane, as: SIMD8<Float>.self))
                        }
                        destination.storeBytes(of: acc, toByteOffset: 32 * lane, as: SIMD8<Float>.self)
                    }
                }
                position += count
            }
        }
    }
}
