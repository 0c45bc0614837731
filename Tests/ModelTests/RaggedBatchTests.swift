import Scheduler
import XCTest
@testable import Model

/// The forward pass over a ragged batch must give each sequence what it would get alone,
/// and prefilling in chunks must equal prefilling at once.
final class RaggedBatchTests: XCTestCase {
    /// Logits of `prompt`'s last position from a runner of its own.
    private func aloneLogits(_ model: LlamaModel, _ prompt: [Int]) throws -> [Float] {
        let runner = ModelRunner(model: model, numBlocks: 8, blockSize: 4)
        try runner.forward(ForwardBatch([ScheduledChunk(tokens: prompt, numCachedTokens: 0, blockTable: Array(0..<8), logitIndices: [prompt.count - 1])]))
        return runner.withLogits(row: 0) { Array($0) }
    }

    private func maxDifference(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? .infinity }

    func testSequencesInOneBatchMatchRunningAlone() throws {
        let model = try SharedModels.tiny.get()
        let prompts = [[1, 5, 9], [3, 3, 7, 11, 20, 41, 2, 8, 9, 60], [90], [4, 4, 4, 4, 4, 4]]
        let runner = ModelRunner(model: model, numBlocks: 32, blockSize: 4)
        // Interleaved, non-contiguous block tables.
        let tables = [[0, 4, 8, 12], [1, 5, 9, 13], [2, 6, 10, 14], [3, 7, 11, 15]]
        let batch = ForwardBatch(zip(prompts, tables).map {
            ScheduledChunk(tokens: $0, numCachedTokens: 0, blockTable: $1, logitIndices: [$0.count - 1])
        })
        try runner.forward(batch)
        XCTAssertEqual(runner.numLogitRows, 4)
        for (row, prompt) in prompts.enumerated() {
            let batched = runner.withLogits(row: row) { Array($0) }
            XCTAssertLessThan(maxDifference(batched, try aloneLogits(model, prompt)), 1e-4, "sequence \(row)")
        }
    }

    /// Logits from inside chunks (as a perplexity run or a verify chunk asks for) beside a chunk that asks for
    /// none: the last layer runs only on the logit rows, which must still be each position's own.
    func testLogitRowsFromInsideChunks() throws {
        let model = try SharedModels.tiny.get()
        let prompts = [Array((0..<10).map { ($0 * 5 + 1) % 96 }), [7, 8, 9, 10, 11, 12], [40, 41, 42]]
        let logitIndices = [[2, 5, 9], [], [0, 2]]
        let runner = ModelRunner(model: model, numBlocks: 32, blockSize: 4)
        let tables = [[0, 1, 2], [3, 4], [5]]
        try runner.forward(ForwardBatch((0..<3).map {
            ScheduledChunk(tokens: prompts[$0], numCachedTokens: 0, blockTable: tables[$0], logitIndices: logitIndices[$0])
        }))
        XCTAssertEqual(runner.numLogitRows, 5)
        var row = 0
        for (prompt, indices) in zip(prompts, logitIndices) {
            for index in indices {
                let batched = runner.withLogits(row: row) { Array($0) }
                XCTAssertLessThan(maxDifference(batched, try aloneLogits(model, Array(prompt[...index]))), 1e-4, "row \(row)")
                row += 1
            }
        }
    }

    func testChunkedPrefillAndDecodeMixedInOneStep() throws {
        let model = try SharedModels.tiny.get()
        let long = Array((0..<23).map { ($0 * 7 + 3) % 96 }), short = [5, 6, 7]
        let runner = ModelRunner(model: model, numBlocks: 32, blockSize: 4)
        let longTable = Array(10..<17), shortTable = [3, 20]
        // Step 1: first 10 tokens of `long` (no logits needed) + all of `short`.
        try runner.forward(ForwardBatch([
            ScheduledChunk(tokens: Array(long[0..<10]), numCachedTokens: 0, blockTable: longTable, logitIndices: []),
            ScheduledChunk(tokens: short, numCachedTokens: 0, blockTable: shortTable, logitIndices: [2]),
        ]))
        XCTAssertEqual(runner.numLogitRows, 1)
        let next = runner.argmax(row: 0)
        // Step 2: the rest of `long` alongside one decode step of `short`.
        try runner.forward(ForwardBatch([
            ScheduledChunk(tokens: [next], numCachedTokens: 3, blockTable: shortTable, logitIndices: [0]),
            ScheduledChunk(tokens: Array(long[10...]), numCachedTokens: 10, blockTable: longTable, logitIndices: [12]),
        ]))
        let shortLogits = runner.withLogits(row: 0) { Array($0) }, longLogits = runner.withLogits(row: 1) { Array($0) }
        XCTAssertLessThan(maxDifference(longLogits, try aloneLogits(model, long)), 1e-4)
        XCTAssertLessThan(maxDifference(shortLogits, try aloneLogits(model, short + [next])), 1e-4)
    }

    func testInvalidBatchesAreRejectedNotCrashed() throws {
        let model = try SharedModels.tiny.get()
        let runner = ModelRunner(model: model, numBlocks: 4, blockSize: 4)
        let cases: [ScheduledChunk] = [
            ScheduledChunk(tokens: [], numCachedTokens: 0, blockTable: [0], logitIndices: []),
            ScheduledChunk(tokens: [1, 2], numCachedTokens: 0, blockTable: [9], logitIndices: [1]),
            ScheduledChunk(tokens: [1, 2, 3, 4, 5], numCachedTokens: 0, blockTable: [0], logitIndices: [4]),
            ScheduledChunk(tokens: [96], numCachedTokens: 0, blockTable: [0], logitIndices: [0]),
            ScheduledChunk(tokens: [1], numCachedTokens: 0, blockTable: [0], logitIndices: [1]),
            ScheduledChunk(tokens: [1], numCachedTokens: model.config.maxPositionEmbeddings, blockTable: [0], logitIndices: [0]),
            ScheduledChunk(tokens: [1, 2, 3], numCachedTokens: 0, blockTable: [0], logitIndices: [2, 1]),
        ]
        for chunk in cases {
            XCTAssertThrowsError(try runner.forward(ForwardBatch([chunk]))) { XCTAssertTrue($0 is ModelError) }
        }
    }
}

/// A decode step with draft tokens (a verify chunk) must give each row exactly — bit for bit — the logits a
/// one-token decode at that position gives: otherwise speculation could change greedy output. That holds for
/// bf16 checkpoints (our GEMM and attention use one summation order for every row count); f32 checkpoints go
/// through BLAS, whose gemv and gemm kernels differ in the last bits, so the tiny f32 model gets a tolerance.
final class VerifyChunkTests: XCTestCase {
    private func checkVerifyRowsEqualDecodes(_ model: LlamaModel, prompt: [Int], numDrafts: Int, blockSize: Int, tolerance: Float = 0,
                                             kvCacheDType: KVCacheDType = .f32, path: KernelPath = .selected) throws {
        let numBlocks = (prompt.count + numDrafts + 2 + blockSize - 1) / blockSize
        let table = Array(0..<numBlocks)
        // One token at a time.
        let stepwise = ModelRunner(model: model, numBlocks: numBlocks, blockSize: blockSize, kvCacheDType: kvCacheDType, kernelPath: path)
        try stepwise.forward(ForwardBatch([ScheduledChunk(tokens: prompt, numCachedTokens: 0, blockTable: table, logitIndices: [prompt.count - 1])]))
        var tokens = [stepwise.argmax(row: 0)]
        var expected: [[Float]] = []
        for i in 0...numDrafts {
            try stepwise.forward(ForwardBatch([ScheduledChunk(tokens: [tokens[i]], numCachedTokens: prompt.count + i, blockTable: table, logitIndices: [0])]))
            expected.append(stepwise.withLogits(row: 0) { Array($0) })
            tokens.append(stepwise.argmax(row: 0))
        }
        // The same tokens as one verify chunk, beside another sequence's prefill in the same batch.
        let verifying = ModelRunner(model: model, numBlocks: numBlocks + 4, blockSize: blockSize, kvCacheDType: kvCacheDType, kernelPath: path)
        try verifying.forward(ForwardBatch([ScheduledChunk(tokens: prompt, numCachedTokens: 0, blockTable: table, logitIndices: [prompt.count - 1])]))
        let other = Array(prompt.reversed())
        try verifying.forward(ForwardBatch([
            ScheduledChunk(tokens: Array(tokens[0...numDrafts]), numCachedTokens: prompt.count, blockTable: table,
                           logitIndices: Array(0...numDrafts), numDraftTokens: numDrafts),
            ScheduledChunk(tokens: Array(other.prefix(4 * blockSize)), numCachedTokens: 0,
                           blockTable: Array(numBlocks..<numBlocks + 4), logitIndices: [0]),
        ]))
        for row in 0...numDrafts {
            let actual = verifying.withLogits(row: row) { Array($0) }
            let numDifferent = zip(actual, expected[row]).filter { abs($0 - $1) > tolerance }.count
            XCTAssertEqual(numDifferent, 0, "\(path.rawValue), \(kvCacheDType.rawValue) cache: row \(row) of \(numDrafts) drafts after \(prompt.count) tokens: max difference \(zip(actual, expected[row]).map { abs($0 - $1) }.max()!)")
        }
    }

    func testVerifyRowsEqualOneTokenDecodesTiny() throws {
        let model = try SharedModels.tiny.get()
        for (length, drafts) in [(3, 1), (5, 8), (13, 4), (30, 16)] {
            try checkVerifyRowsEqualDecodes(model, prompt: (0..<length).map { ($0 * 11 + 5) % 96 }, numDrafts: drafts, blockSize: 16, tolerance: 1e-4)
        }
    }

    /// On every kernel path this CPU has (each is row-count invariant on its own terms, avx512-bf16 included).
    func testVerifyRowsEqualOneTokenDecodesSmol() throws {
        let model = try SharedModels.smol.get()
        for path in KernelPath.testedPaths() {
            // Contexts that end inside a block and across block edges, up to the longest verify chunk.
            for (length, drafts) in [(7, 8), (21, 8), (40, 16)] {
                try checkVerifyRowsEqualDecodes(model, prompt: (0..<length).map { ($0 * 397 + 11) % 49152 }, numDrafts: drafts, blockSize: 16, path: path)
            }
        }
    }

    /// The same with an f16 cache: the halves are widened inside the same chains, so the invariance holds there too.
    func testVerifyRowsEqualOneTokenDecodesSmolF16Cache() throws {
        let model = try SharedModels.smol.get()
        for path in KernelPath.testedPaths() {
            for (length, drafts) in [(7, 8), (21, 8), (40, 16)] {
                try checkVerifyRowsEqualDecodes(model, prompt: (0..<length).map { ($0 * 397 + 11) % 49152 }, numDrafts: drafts, blockSize: 16,
                                                kvCacheDType: .f16, path: path)
            }
        }
    }
}
