import XCTest
@testable import Model

/// The decode-attention kernels (`Kernels.attentionDirect`) against their contract, written out here as plain
/// scalar FMA chains: each score is two chains over even and odd dimensions, added, times the scale; each output
/// lane is one chain Σ_j w[j] · v_j[d] over j = 0..<visible in order, started at 0. The C paths must equal it bit
/// for bit (so AVX2 and AVX-512 agree, and the values pass, which serves up to four query rows at once, gives
/// each row its own chain over exactly its own visible prefix); the reference path is within f32 tolerance.
final class DecodeAttentionTests: XCTestCase {
    /// Every query-head group size from 1 to 5 and speculative-verify chunks of up to 5 tokens, so that a tile of
    /// four rows mixes tokens with different visible lengths (one token per row at groupSize 1); contexts ending
    /// inside a block, at its edge and one past it; scattered block tables. Head sizes 64 (the model's), 72 (a
    /// second, partial pass over the dimensions) and 24 (masked AVX-512 lanes); blocks of 16, 12 and 5 slots
    /// (the 16-, 8-key and scalar score loops; visible prefixes that end mid-block).
    func testEachRowKeepsItsOwnFMAChainsOnEveryPath() {
        let cPaths: [KernelPath] = [.avx2, .avx512].filter { path in
            if !path.isSupported { print("note: kernel path \(path.rawValue) not tested: this CPU lacks its instructions") }
            return path.isSupported
        }
        var generator = SeededGenerator(seed: 11)
        for (hd, blockSize) in [(64, 16), (72, 5), (24, 12)] {
            for groupSize in 1...5 {
                for dtype in KVCacheDType.allCases {
                    for (numCached, n) in [(0, 1), (15, 1), (16, 1), (29, 3), (31, 2), (44, 5)] {
                        let problem = AttentionProblem(hd: hd, blockSize: blockSize, groupSize: groupSize, numCached: numCached, n: n,
                                                       dtype: dtype, generator: &generator)
                        let label = "hd \(hd) bs \(blockSize) g \(groupSize) \(dtype) cached \(numCached) n \(n)"
                        // The model's softmax is the C one where there is a C path to compare with bit for bit.
                        let expected = problem.chains(softmaxPath: cPaths.first ?? .reference)
                        for path in cPaths { XCTAssertEqual(problem.run(path: path), expected, "\(path.rawValue): \(label)") }
                        let reference = problem.run(path: .reference)
                        let worst = zip(reference, expected).map { abs($0 - $1) }.max() ?? 0
                        XCTAssertLessThanOrEqual(worst, 1e-5, "reference: \(label)")
                    }
                }
            }
        }
    }
}

/// One decode call's inputs for every kv head: random q and a paged cache holding random K/V (already rounded to
/// f16, so an f16 cache holds them exactly) under a shuffled block table.
private struct AttentionProblem {
    let hd: Int, blockSize: Int, groupSize: Int, numCached: Int, n: Int
    let numKVHeads = 2
    let keys: [Float], values: [Float]  // [context][numKVHeads][hd]
    let q: [Float]                       // [n][numHeads · hd]
    let blockTable: [Int]
    let cacheKeys: KVStorage, cacheValues: KVStorage
    let layer: PagedLayerView

    var numHeads: Int { numKVHeads * groupSize }
    var context: Int { numCached + n }

    init(hd: Int, blockSize: Int, groupSize: Int, numCached: Int, n: Int, dtype: KVCacheDType, generator: inout SeededGenerator) {
        (self.hd, self.blockSize, self.groupSize, self.numCached, self.n) = (hd, blockSize, groupSize, numCached, n)
        let context = numCached + n, numKVHeads = 2
        func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float(Float16(Float.random(in: -1...1, using: &generator))) } }
        keys = random(context * numKVHeads * hd)
        values = random(context * numKVHeads * hd)
        q = random(n * numKVHeads * groupSize * hd).map { $0 * 3 }
        let numBlocks = (context + blockSize - 1) / blockSize + 3
        blockTable = Array((0..<numBlocks).shuffled(using: &generator).prefix((context + blockSize - 1) / blockSize))
        cacheKeys = KVStorage(byteCount: numBlocks * numKVHeads * blockSize * hd * dtype.bytesPerElement)
        cacheValues = KVStorage(byteCount: numBlocks * numKVHeads * blockSize * hd * dtype.bytesPerElement)
        layer = PagedLayerView(keys: cacheKeys.pointer, values: cacheValues.pointer, dtype: dtype, blockSize: blockSize,
                               numKVHeads: numKVHeads, headDim: hd)
        for p in 0..<context {
            for g in 0..<numKVHeads {
                let offset = (p * numKVHeads + g) * hd
                keys.withUnsafeBufferPointer { k in
                    values.withUnsafeBufferPointer { v in
                        layer.store(key: k.baseAddress! + offset, value: v.baseAddress! + offset, block: blockTable[p / blockSize],
                                    kvHead: g, slot: p % blockSize, path: .reference)
                    }
                }
            }
        }
    }

    /// attentionDirect on `path` for every kv head: out [n][numHeads · hd].
    func run(path: KernelPath) -> [Float] {
        var out = [Float](repeating: .nan, count: n * numHeads * hd)
        var scores = [Float](repeating: .nan, count: n * groupSize * context)
        q.withUnsafeBufferPointer { qp in
            out.withUnsafeMutableBufferPointer { op in
                scores.withUnsafeMutableBufferPointer { sp in
                    for kvHead in 0..<numKVHeads {
                        Kernels.attentionDirect(q: qp.baseAddress!, qStride: numHeads * hd, out: op.baseAddress!, outStride: numHeads * hd,
                                                n: n, numCachedTokens: numCached, blockTable: blockTable, layer: layer, kvHead: kvHead,
                                                groupSize: groupSize, scores: sp.baseAddress!, path: path)
                    }
                }
            }
        }
        return out
    }

    /// The contract's chains, one row (token t, head h) at a time, with the softmax of `softmaxPath`.
    func chains(softmaxPath: KernelPath) -> [Float] {
        let scale = 1 / Float(hd).squareRoot()
        var out = [Float](repeating: 0, count: n * numHeads * hd)
        for t in 0..<n {
            let visible = numCached + t + 1
            for h in 0..<numHeads {
                let kvHead = h / groupSize, query = t * numHeads * hd + h * hd
                var weights = (0..<visible).map { j -> Float in
                    var even: Float = 0, odd: Float = 0
                    for d in stride(from: 0, to: hd, by: 2) {
                        even = even.addingProduct(q[query + d], keys[(j * numKVHeads + kvHead) * hd + d])
                        odd = odd.addingProduct(q[query + d + 1], keys[(j * numKVHeads + kvHead) * hd + d + 1])
                    }
                    return (even + odd) * scale
                }
                weights.withUnsafeMutableBufferPointer { Kernels.softmaxPrefix($0.baseAddress!, visible: visible, total: visible, path: softmaxPath) }
                for d in 0..<hd {
                    var sum: Float = 0
                    for j in 0..<visible { sum = sum.addingProduct(weights[j], values[(j * numKVHeads + kvHead) * hd + d]) }
                    out[query + d] = sum
                }
            }
        }
        return out
    }
}
