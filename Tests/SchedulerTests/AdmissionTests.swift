import XCTest
import Scheduler

final class AdmissionTests: XCTestCase {
    func testAdmitsInArrivalOrderWithinABucket() {
        var harness = Harness(SchedulerConfig(maxNumBatchedTokens: 2048, numBlocks: 64))
        harness.add(1, prompt: Harness.prompt(8, seed: 1), maxNewTokens: 2, at: 0.3)
        harness.add(2, prompt: Harness.prompt(8, seed: 2), maxNewTokens: 2, at: 0.1)
        harness.add(3, prompt: Harness.prompt(8, seed: 3), maxNewTokens: 2, at: 0.2)
        XCTAssertEqual(harness.scheduler.waitingIDs, [2, 3, 1])
        harness.now = 0.4
        let (plan, events) = harness.step()
        XCTAssertEqual(plan.chunks.map(\.id), [2, 3, 1])
        XCTAssertEqual(plan.chunks.map(\.isPrefill), [true, true, true])
        XCTAssertEqual(plan.chunks.map(\.numCachedTokens), [0, 0, 0])
        XCTAssertEqual(events.count, 3, "each whole-prompt chunk samples a token")
        XCTAssertEqual(harness.scheduler.runningIDs, [2, 3, 1])
        harness.runUntilIdle()
        harness.assertOutputsMatchReference()
        XCTAssertEqual(harness.finished, [1: .length, 2: .length, 3: .length])
    }

    func testMaxNumSeqsBoundsTheRunningSet() {
        var harness = Harness(SchedulerConfig(maxNumSeqs: 2, maxNumBatchedTokens: 2048, numBlocks: 64))
        for id in 1...4 { harness.add(id, prompt: Harness.prompt(4, seed: id), maxNewTokens: 3) }
        harness.runUntilIdle()
        XCTAssertEqual(harness.plans.map { $0.chunks.map(\.id) }, [[1, 2], [1, 2], [1, 2], [3, 4], [3, 4], [3, 4]])
        XCTAssertEqual(harness.plans.map { $0.chunks.map(\.isPrefill) }[3], [true, true])
        harness.assertOutputsMatchReference()
        XCTAssertEqual(harness.outputs.values.map(\.count), [3, 3, 3, 3])
    }

    /// A long prompt beside running decodes advances `longPrefillChunkTokens` per step (their inter-token gaps
    /// stay short); a short prompt takes what the budget leaves; a long prompt alone takes the whole budget.
    func testLongPrefillIsChunkedSmallBesideDecodesOnly() {
        let config = SchedulerConfig(maxNumBatchedTokens: 64, longPrefillTokenThreshold: 20, longPrefillChunkTokens: 4, numBlocks: 64)
        var harness = Harness(config)
        harness.add(1, prompt: Harness.prompt(30, seed: 1), maxNewTokens: 3)
        XCTAssertEqual(harness.step().plan.chunks.map(\.tokens.count), [30], "alone: the whole budget")

        harness.add(2, prompt: Harness.prompt(50, seed: 2), maxNewTokens: 2)
        harness.add(3, prompt: Harness.prompt(12, seed: 3), maxNewTokens: 2)
        let second = harness.step().plan
        XCTAssertEqual(second.chunks.map(\.id), [1, 2], "3 waits in another length bucket")
        XCTAssertEqual(second.chunks.map(\.tokens.count), [1, 4], "long prompt capped beside a decode")
        let third = harness.step().plan
        XCTAssertEqual(third.chunks.map(\.id), [1, 2, 3])
        XCTAssertEqual(third.chunks.map(\.tokens.count), [1, 4, 12], "short prompt whole")

        harness.runUntilIdle()
        let longChunks = harness.plans.compactMap { plan in plan.chunks.first { $0.id == 2 && $0.isPrefill }.map { ($0.tokens.count, plan.chunks.count) } }
        XCTAssertEqual(longChunks.reduce(0) { $0 + $1.0 }, 50)
        XCTAssertTrue(longChunks.allSatisfy { $0.0 <= 4 || $0.1 == 1 }, "more than 4 tokens only in a step of its own: \(longChunks)")
        XCTAssertTrue(longChunks.contains { $0.0 > 4 }, "once 1 and 3 finish, the rest goes in one step")
        harness.assertOutputsMatchReference()
        XCTAssertEqual(harness.scheduler.stats.numFreeBlocks, 64)
    }

    func testTokenBudgetSplitsPromptsAcrossSteps() {
        var harness = Harness(SchedulerConfig(maxNumSeqs: 8, maxNumBatchedTokens: 10, numBlocks: 64))
        for id in 1...5 { harness.add(id, prompt: Harness.prompt(4, seed: id), maxNewTokens: 2) }

        let first = harness.step()
        XCTAssertEqual(first.plan.chunks.map(\.id), [1, 2, 3])
        XCTAssertEqual(first.plan.chunks.map(\.tokens.count), [4, 4, 2])
        XCTAssertEqual(first.plan.chunks.map(\.needsLogits), [true, true, false])
        XCTAssertEqual(first.plan.numTokens, 10)
        XCTAssertEqual(first.events, [
            .token(1, harness.outputs[1]![0]), .token(2, harness.outputs[2]![0]),
        ])

        // Decodes first, then 3's second chunk, then admissions with what is left.
        let second = harness.step()
        XCTAssertEqual(second.plan.chunks.map(\.id), [1, 2, 3, 4, 5])
        XCTAssertEqual(second.plan.chunks.map(\.tokens.count), [1, 1, 2, 4, 2])
        XCTAssertEqual(second.plan.chunks.map(\.isPrefill), [false, false, true, true, true])
        XCTAssertEqual(second.plan.chunks[2].numCachedTokens, 2)
        XCTAssertEqual(second.plan.chunks.map(\.needsLogits), [true, true, true, true, false])
        XCTAssertEqual(second.events.map(\.id), [1, 1, 2, 2, 3, 4], "1 and 2 reach maxNewTokens")
        XCTAssertEqual(second.events[1], .finished(1, .length))

        harness.runUntilIdle()
        harness.assertOutputsMatchReference()
        XCTAssertEqual(harness.scheduler.stats.numFreeBlocks, 64)
    }

    func testQueueFullAndTypedRejections() {
        var harness = Harness(SchedulerConfig(maxNumSeqs: 1, maxNumBatchedTokens: 2048, blockSize: 4, numBlocks: 4, maxWaitingRequests: 2))
        XCTAssertNil(harness.tryAdd(1, prompt: [1, 2], maxNewTokens: 1))
        XCTAssertNil(harness.tryAdd(2, prompt: [1, 2], maxNewTokens: 1))
        XCTAssertEqual(harness.tryAdd(3, prompt: [1, 2], maxNewTokens: 1), .queueFull(limit: 2))
        XCTAssertEqual(harness.tryAdd(1, prompt: [1, 2], maxNewTokens: 1), .duplicateID(1))
        XCTAssertEqual(harness.tryAdd(4, prompt: Array(repeating: 5, count: 10), maxNewTokens: 7),
                       .promptTooLong(numTokens: 17, maxTokens: 16))
        XCTAssertEqual(harness.tryAdd(4, prompt: [], maxNewTokens: 7), .emptyPrompt(4))
        XCTAssertEqual(harness.tryAdd(4, prompt: [1], maxNewTokens: 0), .invalidMaxNewTokens(0))
        XCTAssertEqual(harness.scheduler.stats.numWaiting, 2)
        harness.checkInvariants()

        harness.step()  // admits 1: the queue has room again
        XCTAssertNil(harness.tryAdd(3, prompt: [1, 2], maxNewTokens: 1))
        XCTAssertEqual(harness.tryAdd(5, prompt: [1, 2], maxNewTokens: 1), .queueFull(limit: 2))
        harness.runUntilIdle()
        // Exactly the pool: fits, and completes alone.
        XCTAssertNil(harness.tryAdd(4, prompt: Array(repeating: 5, count: 10), maxNewTokens: 6))
        harness.runUntilIdle()
        XCTAssertEqual(harness.finished.count, 4)
        harness.assertOutputsMatchReference()
    }

    func testConfigAndStats() {
        let config = SchedulerConfig(maxNumBatchedTokens: 2048, numBlocks: 10)
        XCTAssertEqual(config.bucketEdges, [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192])
        XCTAssertEqual(config.maxNumSeqs, 16)
        XCTAssertEqual(config.maxNumBatchedTokens, 2048)
        XCTAssertEqual(config.blockSize, 16)
        XCTAssertEqual(config.maxWaitSeconds, 2.0)
        XCTAssertEqual(config.maxWaitingRequests, 256)
        XCTAssertEqual(config.bucketIndex(numTokens: 16), 0)
        XCTAssertEqual(config.bucketIndex(numTokens: 17), 1)
        XCTAssertEqual(config.bucketIndex(numTokens: 9000), 10)

        var scheduler = Scheduler(config: config)
        XCTAssertFalse(scheduler.hasWork)
        XCTAssertTrue(scheduler.plan(now: 0).isEmpty)
        try? scheduler.add(SequenceRequest(id: 7, promptTokens: Array(1...20), maxNewTokens: 4, arrivalTime: 0))
        XCTAssertTrue(scheduler.hasWork)
        XCTAssertEqual(scheduler.stats.waitingPerBucket, [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        _ = scheduler.plan(now: 0)
        XCTAssertEqual(scheduler.stats.numRunning, 1)
        XCTAssertEqual(scheduler.stats.numFreeBlocks, 8)
        XCTAssertEqual(scheduler.stats.kvCacheUsage, 0.2, accuracy: 1e-12)
    }
}

extension SequenceEvent {
    var id: SequenceID {
        switch self {
        case .token(let id, _), .finished(let id, _): id
        }
    }
}
