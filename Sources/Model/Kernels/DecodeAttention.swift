extension Kernels {
    /// Causal attention of the `groupSize` query heads that share kv head `kvHead`, for the few query tokens of a
    /// decode step (token t at position numCachedTokens + t), read straight from the cache blocks: no gather and
    /// no BLAS call, which for one query row cost more than the math.
    /// q and out rows hold all heads ([numHeads · headDim] at their strides). Query row r = t · groupSize + g.
    /// scores: [n · groupSize, numCachedTokens + n]. Needs headDim % 8 == 0.
    static func attentionDirect(
        q: UnsafePointer<Float>, qStride: Int, out: UnsafeMutablePointer<Float>, outStride: Int,
        n: Int, numCachedTokens: Int, blockTable: [Int], layer: PagedLayerView, kvHead: Int, groupSize: Int,
        scores: UnsafeMutablePointer<Float>
    ) {
        let hd = layer.headDim, context = numCachedTokens + n, numRows = n * groupSize
        @inline(__always) func headOffset(_ r: Int) -> Int { (kvHead * groupSize + r % groupSize) * hd }
        // scores[r, j] = q_r · k_j / √hd for every j < context; the softmax masks each row's future positions.
        var r = 0
        while r < numRows {
            let rows = min(4, numRows - r)
            @inline(__always) func query(_ i: Int) -> UnsafePointer<Float> {
                let row = min(r + i, numRows - 1)  // rows past the tile's end are never read
                return q + (row / groupSize) * qStride + headOffset(row)
            }
            let queries = (query(0), query(1), query(2), query(3))
            switch rows {
            case 4: scoreRows(FourRows.self, queries, layer: layer, kvHead: kvHead, blockTable: blockTable, context: context, scores: scores + r * context)
            case 3: scoreRows(ThreeRows.self, queries, layer: layer, kvHead: kvHead, blockTable: blockTable, context: context, scores: scores + r * context)
            case 2: scoreRows(TwoRows.self, queries, layer: layer, kvHead: kvHead, blockTable: blockTable, context: context, scores: scores + r * context)
            default: scoreRows(OneRow.self, queries, layer: layer, kvHead: kvHead, blockTable: blockTable, context: context, scores: scores + r * context)
            }
            r += rows
        }
        for r in 0..<numRows {
            let t = r / groupSize, visible = numCachedTokens + t + 1
            softmaxPrefix(scores + r * context, visible: visible, total: visible)
            weightedValues(scores + r * context, visible: visible, layer: layer, kvHead: kvHead, blockTable: blockTable,
                           out: out + t * outStride + headOffset(r))
        }
    }

    /// scores[i, j] = q_i · k_j / √hd for the R.count query rows `queries` and every key j < context.
    /// Keys are stored transposed per block, so eight keys' d-th elements are one vector: each query element
    /// is broadcast against it (even and odd d in separate accumulators, enough chains to hide FMA latency).
    private static func scoreRows<R: TileRowCount>(
        _: R.Type, _ queries: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>), layer: PagedLayerView, kvHead: Int, blockTable: [Int], context: Int,
        scores: UnsafeMutablePointer<Float>
    ) {
        let hd = layer.headDim, bs = layer.blockSize, scale = 1 / Float(hd).squareRoot()
        let (q0, q1, q2, q3) = queries
        var position = 0
        for block in blockTable where position < context {
            let count = min(bs, context - position)
            let keysT = layer.keys + layer.tileOffset(block: block, kvHead: kvHead)
            var slot = 0
            while slot + 8 <= count {
                var even = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
                var odd = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
                var d = 0
                while d < hd {
                    let kEven = UnsafeRawPointer(keysT + d * bs + slot).loadUnaligned(as: SIMD8<Float>.self)
                    let kOdd = UnsafeRawPointer(keysT + (d + 1) * bs + slot).loadUnaligned(as: SIMD8<Float>.self)
                    even.0.addProduct(SIMD8(repeating: q0[d]), kEven); odd.0.addProduct(SIMD8(repeating: q0[d + 1]), kOdd)
                    if R.count > 1 { even.1.addProduct(SIMD8(repeating: q1[d]), kEven); odd.1.addProduct(SIMD8(repeating: q1[d + 1]), kOdd) }
                    if R.count > 2 { even.2.addProduct(SIMD8(repeating: q2[d]), kEven); odd.2.addProduct(SIMD8(repeating: q2[d + 1]), kOdd) }
                    if R.count > 3 { even.3.addProduct(SIMD8(repeating: q3[d]), kEven); odd.3.addProduct(SIMD8(repeating: q3[d + 1]), kOdd) }
                    d += 2
                }
                @inline(__always) func store(_ sum: SIMD8<Float>, _ i: Int) {
                    UnsafeMutableRawPointer(scores + i * context + position + slot).storeBytes(of: sum * scale, as: SIMD8<Float>.self)
                }
                store(even.0 + odd.0, 0)
                if R.count > 1 { store(even.1 + odd.1, 1) }
                if R.count > 2 { store(even.2 + odd.2, 2) }
                if R.count > 3 { store(even.3 + odd.3, 3) }
                slot += 8
            }
            // A block size that is not a multiple of 8, or the context's last partial block. Same fused even/odd
            // order as a vector lane, so a key's score does not depend on which path the context length put it
            // on (a verify chunk's context reaches further than a one-token decode's at the same position).
            for s in slot..<count {
                for i in 0..<R.count {
                    let query = i == 0 ? q0 : i == 1 ? q1 : i == 2 ? q2 : q3
                    var even: Float = 0, odd: Float = 0
                    var d = 0
                    while d < hd {
                        even.addProduct(query[d], keysT[d * bs + s])
                        odd.addProduct(query[d + 1], keysT[(d + 1) * bs + s])
                        d += 2
                    }
                    scores[i * context + position + s] = (even + odd) * scale
                }
            }
            position += count
        }
    }

    /// out[0..<hd] = Σ_{j < visible} weights[j] · v_j, eight dimensions per vector and up to 64 dimensions
    /// (eight independent accumulators) per pass over the values.
    private static func weightedValues(
        _ weights: UnsafePointer<Float>, visible: Int, layer: PagedLayerView, kvHead: Int, blockTable: [Int],
        out: UnsafeMutablePointer<Float>
    ) {
        let hd = layer.headDim, bs = layer.blockSize
        var base = 0
        while base < hd {
            let lanes = min(8, (hd - base) / 8)
            var acc = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
            var position = 0
            for block in blockTable where position < visible {
                let count = min(bs, visible - position)
                let values = layer.values + layer.tileOffset(block: block, kvHead: kvHead) + base
                for slot in 0..<count {
                    let w = SIMD8<Float>(repeating: weights[position + slot])
                    let v = UnsafeRawPointer(values + slot * hd)
                    acc.0.addProduct(w, v.loadUnaligned(fromByteOffset: 0, as: SIMD8<Float>.self))
                    if lanes > 1 { acc.1.addProduct(w, v.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)) }
                    if lanes > 2 { acc.2.addProduct(w, v.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)) }
                    if lanes > 3 { acc.3.addProduct(w, v.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)) }
                    if lanes > 4 { acc.4.addProduct(w, v.loadUnaligned(fromByteOffset: 128, as: SIMD8<Float>.self)) }
                    if lanes > 5 { acc.5.addProduct(w, v.loadUnaligned(fromByteOffset: 160, as: SIMD8<Float>.self)) }
                    if lanes > 6 { acc.6.addProduct(w, v.loadUnaligned(fromByteOffset: 192, as: SIMD8<Float>.self)) }
                    if lanes > 7 { acc.7.addProduct(w, v.loadUnaligned(fromByteOffset: 224, as: SIMD8<Float>.self)) }
                }
                position += count
            }
            let destination = UnsafeMutableRawPointer(out + base)
            withUnsafeBytes(of: acc) { destination.copyMemory(from: $0.baseAddress!, byteCount: 32 * lanes) }
            base += 8 * lanes
        }
    }
}
