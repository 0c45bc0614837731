import XCTest
import Scheduler

final class ChunkedPrefillTests: XCTestCase {
    /// A 5000-token prompt under a 2048-token budget loads over 3 steps while two streams keep decoding
    /// (no long-prefill cap here: see AdmissionTests for that).
    func testLongPromptPrefillsInChunksWhileDecodesContinue() {
        var harness = Harness(SchedulerConfig(maxNumBatchedTokens: 2048, longPrefillTokenThreshold: 10_000, blockSize: 16, numBlocks: 1024))
        harness.add(1, prompt: Harness.prompt(8, seed: 1), maxNewTokens: 50)
        harness.add(2, prompt: Harness.prompt(8, seed: 2), maxNewTokens: 50)
        harness.step()
        harness.add(3, prompt: Harness.prompt(5000, seed: 3), maxNewTokens: 5)

        var expectedCached = 0
        for (index, length) in [2046, 2046, 908].enumerated() {
            let (plan, events) = harness.step()
            XCTAssertEqual(plan.chunks.map(\.id), [1, 2, 3])
            XCTAssertEqual(plan.chunks.map(\.isPrefill), [false, false, true])
            XCTAssertEqual(plan.numTokens, index < 2 ? 2048 : 910)
            let chunk = plan.chunks[2]
            XCTAssertEqual(chunk.tokens.count, length)
            XCTAssertEqual(chunk.numCachedTokens, expectedCached)
            XCTAssertEqual(chunk.blockTable.count, 313, "blocks for the whole prompt at admission")
            XCTAssertEqual(chunk.needsLogits, index == 2)
            expectedCached += length
            // The decodes stream a token every step; the long prompt only on its last chunk.
            XCTAssertEqual(events.map(\.id), index == 2 ? [1, 2, 3] : [1, 2])
        }
        XCTAssertEqual(harness.outputs[3]?.count, 1)
        let decode = harness.step().plan.chunks.last!
        XCTAssertEqual(decode.id, 3)
        XCTAssertFalse(decode.isPrefill)
        XCTAssertEqual(decode.numCachedTokens, 5000)

        harness.runUntilIdle()
        harness.assertOutputsMatchReference()
        XCTAssertEqual(harness.outputs[3]?.count, 5)
        XCTAssertEqual(harness.scheduler.stats.numFreeBlocks, 1024)
    }

    /// Chunked prefill gives the same tokens as a whole-prompt prefill, whatever the budget.
    func testChunkingDoesNotChangeOutput() {
        for budget in [1, 3, 7, 64] {
            var harness = Harness(SchedulerConfig(maxNumBatchedTokens: budget, blockSize: 4, numBlocks: 64))
            for id in 1...3 { harness.add(id, prompt: Harness.prompt(10 + id, seed: id), maxNewTokens: 6) }
            harness.runUntilIdle()
            XCTAssertEqual(harness.finished.count, 3, "budget \(budget)")
            harness.assertOutputsMatchReference()
        }
    }
}
