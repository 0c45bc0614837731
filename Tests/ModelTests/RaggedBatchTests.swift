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
        ]
        for chunk in cases {
            XCTAssertThrowsError(try runner.forward(ForwardBatch([chunk]))) { XCTAssertTrue($0 is ModelError) }
        }
    }
}
