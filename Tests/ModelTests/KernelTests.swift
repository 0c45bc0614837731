import Scheduler
import XCTest
@testable import Model

final class KernelTests: XCTestCase {
    private var generator = SeededGenerator(seed: 42)

    private func random(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in Float.random(in: -scale...scale, using: &generator) }
    }

    private func assertClose(_ a: [Float], _ b: [Float], tolerance: Float, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, file: file, line: line)
    }

    /// The embedding lookup reads rows back out of the panels.
    func testBF16RowsReadBackFromPanels() {
        let (rows, columns) = (37, 11)
        let bits = random(rows * columns).map { UInt16($0.bitPattern >> 16) }
        let matrix = WeightMatrix(rows: rows, columns: columns, bf16: bits)
        var row = [Float](repeating: .nan, count: columns)
        for index in [0, 7, 8, 15, 16, 31, 36] {
            row.withUnsafeMutableBufferPointer { matrix.copyRow(index, to: $0.baseAddress!) }
            XCTAssertEqual(row, bits[index * columns..<(index + 1) * columns].map { Float(bitPattern: UInt32($0) << 16) }, "row \(index)")
        }
    }

    func testF32MatmulMatchesReference() {
        let (n, inFeatures, outFeatures) = (5, 33, 17)
        let x = random(n * inFeatures), w = random(outFeatures * inFeatures)
        let matrix = WeightMatrix(rows: outFeatures, columns: inFeatures, f32: w)
        var y = [Float](repeating: .nan, count: n * outFeatures)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { matrix.apply(xp.baseAddress!, $0.baseAddress!, n: n) }
        }
        assertClose(y, ReferenceKernels.matmul(x, w, n: n, inFeatures: inFeatures, outFeatures: outFeatures), tolerance: 1e-5)
    }

    /// A width of 37: the eight-lane loop and its scalar tail.
    func testRMSNormMatchesReference() {
        let dim = 37, x = random(2 * dim, scale: 3), weight = random(dim)
        var out = [Float](repeating: 0, count: 2 * dim)
        Kernels.rmsNorm(x, weight: weight, &out, n: 2, dim: dim, eps: 1e-5)
        let expected = ReferenceKernels.rmsNorm(Array(x[0..<dim]), weight: weight, eps: 1e-5)
            + ReferenceKernels.rmsNorm(Array(x[dim...]), weight: weight, eps: 1e-5)
        assertClose(out, expected, tolerance: 1e-5)
    }

    /// SwiGLU on every path over rows wider than the vector loop (its scalar or masked tail too), with gates far into both tails of the sigmoid.
    func testSiluMulMatchesReference() {
        let rows = 4, dim = 21
        // Three rows of wide-ranging gates, then one whose first gates are -90 and 95.
        let gateUp = random(3 * 2 * dim, scale: 12) + [-90, 95] + random(2 * dim - 2, scale: 1)
        var expected: [Float] = []
        for t in 0..<rows {
            for i in 0..<dim { expected.append(ReferenceKernels.silu(gateUp[t * 2 * dim + i]) * gateUp[t * 2 * dim + dim + i]) }
        }
        var outputs: [KernelPath: [Float]] = [:]
        for path in KernelPath.testedPaths() {
            var out = [Float](repeating: .nan, count: rows * dim)
            Kernels.siluMul(gateUp, &out, n: rows, dim: dim, path: path)
            for (actual, wanted) in zip(out, expected) {
                XCTAssertEqual(actual, wanted, accuracy: 1e-5 * max(1, abs(wanted)), path.rawValue)
            }
            outputs[path] = out
        }
        // The AVX-512 loop is the AVX2 one on sixteen lanes: the same bits.
        if let avx2 = outputs[.avx2], let avx512 = outputs[.avx512] {
            XCTAssertEqual(avx2.map(\.bitPattern), avx512.map(\.bitPattern))
        }
    }

    /// Paged attention over a ragged batch — a prefill chunk (split into row blocks), a decode step and a short
    /// chunk, all straight from the blocks, with scattered block tables — equals naive attention over each
    /// sequence's contiguous K/V.
    func testBatchAttentionMatchesReference() {
        for path in KernelPath.testedPaths() {
            let (out, expected) = batchAttention(path: path, seed: 7)
            assertClose(out, expected, tolerance: 1e-5)
        }
    }

    /// A head size the direct kernels cannot take (not a multiple of 8) gathers K/V and runs BLAS instead.
    func testBatchAttentionFallbackMatchesReference() {
        for path in KernelPath.testedPaths() {
            let (out, expected) = batchAttention(path: path, seed: 11, hd: 12)
            assertClose(out, expected, tolerance: 1e-5)
        }
    }

    /// A prefill chunk's rows are computed exactly as one-token decodes at the same positions: the same bits,
    /// whichever row block a row falls in.
    func testPrefillRowsEqualOneTokenDecodes() {
        let blockTable = [7, 2, 10, 0, 5]
        for path in KernelPath.testedPaths() {
            let chunk = batchAttention(path: path, seed: 5, numHeads: 9, numKVHeads: 3, hd: 64, blockSize: 16, shapes: [(19, 37, blockTable)]).out
            let rowSize = 9 * 64
            for t in [0, 15, 16, 17, 36] {
                // The same seed stores the same K/V and q; a decode at position 19 + t sees the chunk's first 19 + t + 1 keys.
                let decode = batchAttention(path: path, seed: 5, numHeads: 9, numKVHeads: 3, hd: 64, blockSize: 16,
                                            shapes: [(19, 37, blockTable)], onlyRow: t).out
                XCTAssertEqual(Array(chunk[(t * rowSize)..<((t + 1) * rowSize)]), decode, "\(path.rawValue): row \(t)")
            }
        }
    }

    /// The model's shape: head size 64, three query heads per kv head, blocks of 16 (so AVX-512 scores 16 keys
    /// per vector and AVX2 8), contexts ending inside blocks and at their edges. AVX2 and AVX-512 agree bit for bit.
    func testDecodeAttentionPathsAgreeOnModelShape() {
        var results: [KernelPath: [Float]] = [:]
        for path in KernelPath.testedPaths() {
            let (out, expected) = batchAttention(path: path, seed: 3, numHeads: 9, numKVHeads: 3, hd: 64, blockSize: 16,
                                                 shapes: [(0, 1, [4]), (15, 1, [2]), (16, 1, [5, 0]), (37, 4, [1, 3, 6]), (40, 17, [7, 8, 9, 10])])
            assertClose(out, expected, tolerance: 1e-5)
            results[path] = out
        }
        if let avx2 = results[.avx2], let avx512 = results[.avx512] { XCTAssertEqual(avx2, avx512) }
    }

    /// An f16 cache on every path: the prefill gather and both decode loops widen halves where they loaded floats,
    /// so each path's output equals — bit for bit — what it gives on an f32 cache holding the same rounded values,
    /// and is within the f32 tolerance of naive attention over the rounded K/V. Both shapes above, so the 16-, 8-lane
    /// and scalar key loops and the masked value loads all read halves.
    func testF16CacheAttentionMatchesReferenceOnEveryPath() {
        let modelShape: [(Int, Int, [Int])] = [(0, 1, [4]), (15, 1, [2]), (16, 1, [5, 0]), (37, 4, [1, 3, 6]), (40, 17, [7, 8, 9, 10])]
        var results: [KernelPath: [Float]] = [:]
        for path in KernelPath.testedPaths() {
            let (out, expected) = batchAttention(path: path, seed: 7, dtype: .f16)
            assertClose(out, expected, tolerance: 1e-5)
            let (rounded, _) = batchAttention(path: path, seed: 7, dtype: .f32, roundToF16: true)
            XCTAssertEqual(out, rounded, "\(path.rawValue): f16 cache vs f32 cache of the same values")
            let (shaped, shapedExpected) = batchAttention(path: path, seed: 3, numHeads: 9, numKVHeads: 3, hd: 64, blockSize: 16,
                                                          shapes: modelShape, dtype: .f16)
            assertClose(shaped, shapedExpected, tolerance: 1e-5)
            let (shapedRounded, _) = batchAttention(path: path, seed: 3, numHeads: 9, numKVHeads: 3, hd: 64, blockSize: 16,
                                                    shapes: modelShape, dtype: .f32, roundToF16: true)
            XCTAssertEqual(shaped, shapedRounded, "\(path.rawValue): f16 cache vs f32 cache of the same values (model shape)")
            results[path] = shaped
        }
        if let avx2 = results[.avx2], let avx512 = results[.avx512] { XCTAssertEqual(avx2, avx512) }
        // An f16 cache really rounds: the same inputs on an f32 cache give a different answer.
        let (exact, _) = batchAttention(path: .reference, seed: 7, dtype: .f32)
        XCTAssertNotEqual(exact, batchAttention(path: .reference, seed: 7, dtype: .f16).out)
    }

    /// Runs a BatchAttentionPlan on `path` over random K/V and q, cached as `dtype`; returns its output and naive
    /// attention's over the K/V the cache holds (rounded to f16 for an f16 cache). `roundToF16` rounds K/V to f16
    /// before they reach an f32 cache. `onlyRow` t (one shape): run just row t of the chunk, as a one-token decode.
    private func batchAttention(path: KernelPath, seed: UInt64, numHeads: Int = 6, numKVHeads: Int = 2, hd: Int = 16, blockSize: Int = 12,
                                shapes: [(Int, Int, [Int])]? = nil, dtype: KVCacheDType = .f32, roundToF16: Bool = false,
                                onlyRow: Int? = nil) -> (out: [Float], expected: [Float]) {
        var generator = SeededGenerator(seed: seed)
        func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float.random(in: -1...1, using: &generator) } }
        let numBlocks = 24
        let cacheKeys = KVStorage(byteCount: numBlocks * numKVHeads * blockSize * hd * dtype.bytesPerElement)
        let cacheValues = KVStorage(byteCount: numBlocks * numKVHeads * blockSize * hd * dtype.bytesPerElement)
        let layer = PagedLayerView(keys: cacheKeys.pointer, values: cacheValues.pointer, dtype: dtype, blockSize: blockSize, numKVHeads: numKVHeads, headDim: hd)
        func rounded(_ x: [Float]) -> [Float] { x.map { Float(Float16($0)) } }
        // (numCached, n, block table): 19 + 21 rows cross row blocks of 16; the decode steps' contexts end in
        // partial blocks and blocks of 12 slots are one vector of 8 plus a scalar tail; tables deliberately out of order.
        let shapes = shapes ?? [(19, 21, [7, 2, 10, 0]), (26, 1, [1, 6, 8]), (2, 3, [20, 19]), (40, 4, [3, 11, 5, 9])]
        var batch: [ScheduledChunk] = [], q: [Float] = [], expected: [Float] = []
        for (numCached, n, blockTable) in shapes {
            let context = numCached + n
            var keys = random(context * numKVHeads * hd), values = random(context * numKVHeads * hd)
            let sequenceQ = random(n * numHeads * hd)
            if roundToF16 { (keys, values) = (rounded(keys), rounded(values)) }
            for p in 0..<context {
                for g in 0..<numKVHeads {
                    keys.withUnsafeBufferPointer { k in
                        values.withUnsafeBufferPointer { v in
                            layer.store(key: k.baseAddress! + (p * numKVHeads + g) * hd, value: v.baseAddress! + (p * numKVHeads + g) * hd,
                                        block: blockTable[p / blockSize], kvHead: g, slot: p % blockSize, path: path)
                        }
                    }
                }
            }
            if let t = onlyRow {
                batch.append(ScheduledChunk(tokens: [0], numCachedTokens: numCached + t, blockTable: blockTable, logitIndices: []))
                q += sequenceQ[(t * numHeads * hd)..<((t + 1) * numHeads * hd)]
                continue
            }
            batch.append(ScheduledChunk(tokens: Array(repeating: 0, count: n), numCachedTokens: numCached, blockTable: blockTable, logitIndices: []))
            q += sequenceQ
            let (cachedKeys, cachedValues) = dtype == .f16 ? (rounded(keys), rounded(values)) : (keys, values)
            expected += ReferenceKernels.attention(q: sequenceQ, keys: cachedKeys, values: cachedValues, n: n, contextLength: context,
                                                   numHeads: numHeads, numKVHeads: numKVHeads, headDim: hd)
        }
        let plan = BatchAttentionPlan(batch: ForwardBatch(batch), numHeads: numHeads, numKVHeads: numKVHeads, headDim: hd)
        let gatheredKeys = FloatBuffer(count: plan.gatherCount), gatheredValues = FloatBuffer(count: plan.gatherCount)
        let scores = FloatBuffer(count: plan.scoresPerWorker * Kernels.numThreads)
        var out = [Float](repeating: .nan, count: q.count)
        q.withUnsafeBufferPointer { qp in
            out.withUnsafeMutableBufferPointer { op in
                plan.run(layer: layer, q: qp.baseAddress!, qStride: numHeads * hd, out: op.baseAddress!,
                         gatheredKeys: gatheredKeys.pointer, gatheredValues: gatheredValues.pointer, scores: scores.pointer, path: path)
            }
        }
        return (out, expected)
    }
}

/// A small deterministic generator (SplitMix64) so kernel tests see the same inputs every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class ExpKernelTests: XCTestCase {
    func testVectorExpMatchesLibm() {
        var worst: Double = 0
        var x: Float = -87
        while x < 88 {
            let lanes = SIMD8<Float>((0..<8).map { x + Float($0) * 0.013 })
            let fast = Kernels.exp(lanes)
            for i in 0..<8 {
                let exact = Foundation.exp(Double(lanes[i]))
                worst = max(worst, abs(Double(fast[i]) - exact) / exact)
            }
            x += 0.37
        }
        XCTAssertLessThan(worst, 1e-6, "max relative error \(worst)")
        XCTAssertLessThan(Kernels.exp(SIMD8(repeating: -200))[0], 1e-37)
        XCTAssertEqual(Kernels.exp(SIMD8(repeating: 0))[0], 1)
    }
}
