import CKernels

extension Kernels {
    /// Causal attention of the `groupSize` query heads that share kv head `kvHead`, for the few query tokens of a
    /// decode step (token t at position numCachedTokens + t), read straight from the cache blocks: no gather and
    /// no BLAS call, which for one query row cost more than the math.
    /// q and out rows hold all heads ([numHeads · headDim] at their strides). Query row r = t · groupSize + g.
    /// scores: [n · groupSize, numCachedTokens + n]. Needs headDim % 8 == 0.
    /// The AVX2 and AVX-512 paths run the two loops (scores, weighted values) in C (CAttention.h) with the FMA
    /// chains of the Swift loops below, which are the reference path (multiply, then add). An f16 cache is read by
    /// the same loops, each element widened to f32 as it is loaded.
    static func attentionDirect(
        q: UnsafePointer<Float>, qStride: Int, out: UnsafeMutablePointer<Float>, outStride: Int,
        n: Int, numCachedTokens: Int, blockTable: [Int], layer: PagedLayerView, kvHead: Int, groupSize: Int,
        scores: UnsafeMutablePointer<Float>, path: KernelPath = .selected
    ) {
        let kernel = path.attentionKernel
        if kernel != .reference {
            attentionDirectC(kernel, q: q, qStride: qStride, out: out, outStride: outStride, n: n, numCachedTokens: numCachedTokens,
                             blockTable: blockTable, layer: layer, kvHead: kvHead, groupSize: groupSize, scores: scores)
            return
        }
        switch layer.dtype {
        case .f32:
            attentionDirectReference(F32Element.self, q: q, qStride: qStride, out: out, outStride: outStride, n: n, numCachedTokens: numCachedTokens,
                                     blockTable: blockTable, layer: layer, kvHead: kvHead, groupSize: groupSize, scores: scores)
        case .f16:
            attentionDirectReference(F16Element.self, q: q, qStride: qStride, out: out, outStride: outStride, n: n, numCachedTokens: numCachedTokens,
                                     blockTable: blockTable, layer: layer, kvHead: kvHead, groupSize: groupSize, scores: scores)
        }
    }

    /// The reference path of `attentionDirect`, reading cache elements of type E (widened to f32 as they are loaded).
    private static func attentionDirectReference<E: KVElement>(
        _: E.Type, q: UnsafePointer<Float>, qStride: Int, out: UnsafeMutablePointer<Float>, outStride: Int,
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
            case 4: scoreRows(FourRows.self, E.self, queries, layer: layer, kvHead: kvHead, blockTable: blockTable, context: context, scores: scores + r * context)
            case 3: scoreRows(ThreeRows.self, E.self, queries, layer: layer, kvHead: kvHead, blockTable: blockTable, context: context, scores: scores + r * context)
            case 2: scoreRows(TwoRows.self, E.self, queries, layer: layer, kvHead: kvHead, blockTable: blockTable, context: context, scores: scores + r * context)
            default: scoreRows(OneRow.self, E.self, queries, layer: layer, kvHead: kvHead, blockTable: blockTable, context: context, scores: scores + r * context)
            }
            r += rows
        }
        for r in 0..<numRows {
            let t = r / groupSize, visible = numCachedTokens + t + 1
            softmaxPrefix(scores + r * context, visible: visible, total: visible)
            weightedValues(E.self, scores + r * context, visible: visible, layer: layer, kvHead: kvHead, blockTable: blockTable,
                           out: out + t * outStride + headOffset(r))
        }
    }

    /// scores[i, j] = q_i · k_j / √hd for the R.count query rows `queries` and every key j < context.
    /// Keys are stored transposed per block, so eight keys' d-th elements are one vector: each query element
    /// is broadcast against it (even and odd d in separate accumulators, enough chains to hide FMA latency).
    private static func scoreRows<R: TileRowCount, E: KVElement>(
        _: R.Type, _: E.Type, _ queries: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>), layer: PagedLayerView, kvHead: Int, blockTable: [Int], context: Int,
        scores: UnsafeMutablePointer<Float>
    ) {
        let hd = layer.headDim, bs = layer.blockSize, scale = 1 / Float(hd).squareRoot()
        let (q0, q1, q2, q3) = queries
        var position = 0
        for block in blockTable where position < context {
            let count = min(bs, context - position)
            let keysT = UnsafeRawPointer(layer.keys), tile = layer.tileOffset(block: block, kvHead: kvHead)
            var slot = 0
            while slot + 8 <= count {
                var even = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
                var odd = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
                var d = 0
                while d < hd {
                    let kEven = E.load8(keysT, tile + d * bs + slot), kOdd = E.load8(keysT, tile + (d + 1) * bs + slot)
                    even.0 += SIMD8(repeating: q0[d]) * kEven; odd.0 += SIMD8(repeating: q0[d + 1]) * kOdd
                    if R.count > 1 { even.1 += SIMD8(repeating: q1[d]) * kEven; odd.1 += SIMD8(repeating: q1[d + 1]) * kOdd }
                    if R.count > 2 { even.2 += SIMD8(repeating: q2[d]) * kEven; odd.2 += SIMD8(repeating: q2[d + 1]) * kOdd }
                    if R.count > 3 { even.3 += SIMD8(repeating: q3[d]) * kEven; odd.3 += SIMD8(repeating: q3[d + 1]) * kOdd }
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
                        even += query[d] * E.load(keysT, tile + d * bs + s)
                        odd += query[d + 1] * E.load(keysT, tile + (d + 1) * bs + s)
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
    private static func weightedValues<E: KVElement>(
        _: E.Type, _ weights: UnsafePointer<Float>, visible: Int, layer: PagedLayerView, kvHead: Int, blockTable: [Int],
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
                let values = UnsafeRawPointer(layer.values), tile = layer.tileOffset(block: block, kvHead: kvHead) + base
                for slot in 0..<count {
                    let w = SIMD8<Float>(repeating: weights[position + slot])
                    let v = tile + slot * hd
                    acc.0 += w * E.load8(values, v)
                    if lanes > 1 { acc.1 += w * E.load8(values, v + 8) }
                    if lanes > 2 { acc.2 += w * E.load8(values, v + 16) }
                    if lanes > 3 { acc.3 += w * E.load8(values, v + 24) }
                    if lanes > 4 { acc.4 += w * E.load8(values, v + 32) }
                    if lanes > 5 { acc.5 += w * E.load8(values, v + 40) }
                    if lanes > 6 { acc.6 += w * E.load8(values, v + 48) }
                    if lanes > 7 { acc.7 += w * E.load8(values, v + 56) }
                }
                position += count
            }
            let destination = UnsafeMutableRawPointer(out + base)
            withUnsafeBytes(of: acc) { destination.copyMemory(from: $0.baseAddress!, byteCount: 32 * lanes) }
            base += 8 * lanes
        }
    }

    /// `attentionDirect` with its two loops in C: the same row tiles, softmax and layout. Each tile of up to four
    /// rows runs its scores, then its rows' softmax, then one values pass for all its rows (CAttention.h): the
    /// group's query heads share every load of a value vector, and each row keeps its own FMA chains.
    private static func attentionDirectC(
        _ kernel: KernelPath.AttentionKernel, q: UnsafePointer<Float>, qStride: Int, out: UnsafeMutablePointer<Float>, outStride: Int,
        n: Int, numCachedTokens: Int, blockTable: [Int], layer: PagedLayerView, kvHead: Int, groupSize: Int,
        scores: UnsafeMutablePointer<Float>
    ) {
        let hd = layer.headDim, bs = layer.blockSize, context = numCachedTokens + n, numRows = n * groupSize
        let blockStride = layer.numKVHeads * bs * hd, headTile = layer.tileOffset(block: 0, kvHead: kvHead)
        let scale = 1 / Float(hd).squareRoot(), isHalf = layer.dtype == .f16
        // The kv head's tile of block 0, as f32 or as halves (only the one matching `dtype` is read).
        let keys = layer.keys.assumingMemoryBound(to: Float.self) + headTile, values = layer.values.assumingMemoryBound(to: Float.self) + headTile
        let halfKeys = layer.keys.assumingMemoryBound(to: UInt16.self) + headTile, halfValues = layer.values.assumingMemoryBound(to: UInt16.self) + headTile
        @inline(__always) func query(_ row: Int) -> UnsafePointer<Float> {
            q + (row / groupSize) * qStride + (kvHead * groupSize + row % groupSize) * hd
        }
        @inline(__always) func destination(_ row: Int) -> UnsafeMutablePointer<Float> {
            out + (row / groupSize) * outStride + (kvHead * groupSize + row % groupSize) * hd
        }
        // Row r is query token r / groupSize, which sees the cache and the tokens up to itself.
        @inline(__always) func visible(_ row: Int) -> Int { numCachedTokens + row / groupSize + 1 }
        blockTable.withUnsafeBufferPointer { table in
            let table = table.baseAddress!
            var r = 0
            while r < numRows {
                let rows = min(4, numRows - r)
                // Rows past the tile's end repeat its last row (the kernels do not read them).
                let (r0, r1, r2, r3) = (r, r + min(1, rows - 1), r + min(2, rows - 1), r + min(3, rows - 1))
                let (q0, q1, q2, q3) = (query(r0), query(r1), query(r2), query(r3))
                let weights = scores + r * context
                switch (kernel, isHalf) {
                case (.avx512, false): ck_attention_scores_avx512(q0, q1, q2, q3, Int32(rows), keys, values, table, blockStride, bs, hd, context, scale, weights, context)
                case (.avx512, true): ck_attention_scores_f16_avx512(q0, q1, q2, q3, Int32(rows), halfKeys, halfValues, table, blockStride, bs, hd, context, scale, weights, context)
                case (_, false): ck_attention_scores_avx2(q0, q1, q2, q3, Int32(rows), keys, values, table, blockStride, bs, hd, context, scale, weights, context)
                case (_, true): ck_attention_scores_f16_avx2(q0, q1, q2, q3, Int32(rows), halfKeys, halfValues, table, blockStride, bs, hd, context, scale, weights, context)
                }
                for row in r..<r + rows { ck_softmax_prefix_avx2(scores + row * context, visible(row), visible(row)) }
                let (v0, v1, v2, v3) = (visible(r0), visible(r1), visible(r2), visible(r3))
                let (o0, o1, o2, o3) = (destination(r0), destination(r1), destination(r2), destination(r3))
                switch (kernel, isHalf) {
                case (.avx512, false): ck_attention_values_avx512(weights, context, Int32(rows), v0, v1, v2, v3, values, table, blockStride, bs, hd, o0, o1, o2, o3)
                case (.avx512, true): ck_attention_values_f16_avx512(weights, context, Int32(rows), v0, v1, v2, v3, halfValues, table, blockStride, bs, hd, o0, o1, o2, o3)
                case (_, false): ck_attention_values_avx2(weights, context, Int32(rows), v0, v1, v2, v3, values, table, blockStride, bs, hd, o0, o1, o2, o3)
                case (_, true): ck_attention_values_f16_avx2(weights, context, Int32(rows), v0, v1, v2, v3, halfValues, table, blockStride, bs, hd, o0, o1, o2, o3)
                }
                r += rows
            }
        }
    }
}
