import XCTest
import Scheduler

final class CancellationTests: XCTestCase {
    func testCancellingAWaitingRequestRemovesItAtOnce() {
        var harness = Harness(SchedulerConfig(maxNumSeqs: 1, maxNumBatchedTokens: 2048, blockSize: 4, numBlocks: 16))
        harness.add(1, prompt: Harness.prompt(5, seed: 1), maxNewTokens: 3)
        harness.add(2, prompt: Harness.prompt(5, seed: 2), maxNewTokens: 3)
        harness.step()
        XCTAssertEqual(harness.scheduler.waitingIDs, [2])
        XCTAssertEqual(harness.finish(2, reason: .cancelled), .finished(2, .cancelled))
        XCTAssertEqual(harness.scheduler.waitingIDs, [])
        XCTAssertEqual(harness.scheduler.stats.numWaiting, 0)
        XCTAssertEqual(harness.scheduler.stats.waitingPerBucket.reduce(0, +), 0)
        XCTAssertNil(harness.finish(2, reason: .cancelled), "already gone")
        harness.runUntilIdle()
        XCTAssertFalse(harness.plans.contains { $0.chunks.contains { $0.id == 2 } })
        XCTAssertEqual(harness.outputs[2], nil)
        XCTAssertEqual(harness.finished, [1: .length, 2: .cancelled])
    }

    func testCancellingADecodingSequenceFreesItsBlocksAtOnce() {
        var harness = Harness(SchedulerConfig(maxNumBatchedTokens: 2048, blockSize: 4, numBlocks: 16))
        harness.add(1, prompt: Harness.prompt(20, seed: 1), maxNewTokens: 40)
        harness.step()
        harness.step()
        XCTAssertEqual(harness.scheduler.stats.numFreeBlocks, 10)
        XCTAssertEqual(harness.finish(1, reason: .cancelled), .finished(1, .cancelled))
        XCTAssertEqual(harness.scheduler.stats.numFreeBlocks, 16)
        XCTAssertEqual(harness.scheduler.stats.numRunning, 0)
        XCTAssertFalse(harness.scheduler.hasWork)
        XCTAssertTrue(harness.plan().isEmpty)
    }

    func testCancellingMidPrefillFreesItsBlocksAtOnce() {
        var harness = Harness(SchedulerConfig(maxNumBatchedTokens: 8, blockSize: 4, numBlocks: 16))
        harness.add(1, prompt: Harness.prompt(30, seed: 1), maxNewTokens: 5)
        let (plan, events) = harness.step()
        XCTAssertEqual(plan.chunks.map(\.needsLogits), [false])
        XCTAssertEqual(events, [])
        XCTAssertEqual(harness.scheduler.stats.numFreeBlocks, 8)
        XCTAssertEqual(harness.finish(1, reason: .cancelled), .finished(1, .cancelled))
        XCTAssertEqual(harness.scheduler.stats.numFreeBlocks, 16)
        XCTAssertFalse(harness.scheduler.hasWork)
    }

    /// The engine stops a sequence (eos) or its client leaves while a planned step is in flight: the commit
    /// ignores that sequence and serves the others.
    func testFinishBetweenPlanAndCommit() {
        var harness = Harness(SchedulerConfig(maxNumBatchedTokens: 2048, blockSize: 4, numBlocks: 16))
        harness.add(1, prompt: Harness.prompt(5, seed: 1), maxNewTokens: 10)
        harness.add(2, prompt: Harness.prompt(5, seed: 2), maxNewTokens: 10)
        harness.step()
        let plan = harness.plan()
        XCTAssertEqual(plan.chunks.map(\.id), [1, 2])
        XCTAssertEqual(harness.finish(1, reason: .stop), .finished(1, .stop))
        let events = harness.commit(plan)
        XCTAssertEqual(events.map(\.id), [2])
        XCTAssertEqual(harness.outputs[1]?.count, 1)
        harness.runUntilIdle()
        XCTAssertEqual(harness.finished, [1: .stop, 2: .length])
        harness.assertOutputsMatchReference()
        XCTAssertEqual(harness.scheduler.stats.numFreeBlocks, 16)
    }

    /// A needsLogits chunk the engine returned no token for is run again, not lost.
    func testMissingSampledTokenIsRetried() {
        var scheduler = Scheduler(config: SchedulerConfig(maxNumBatchedTokens: 2048, blockSize: 4, numBlocks: 16))
        try? scheduler.add(SequenceRequest(id: 1, promptTokens: [1, 2, 3], maxNewTokens: 2, arrivalTime: 0))
        let first = scheduler.plan(now: 0)
        XCTAssertEqual(scheduler.commit(first, results: [:]), [])
        let retry = scheduler.plan(now: 0)
        XCTAssertEqual(retry.chunks.map(\.tokens), [[3]])
        XCTAssertEqual(retry.chunks.map(\.numCachedTokens), [2])
        XCTAssertEqual(retry.chunks.map(\.needsLogits), [true])
        XCTAssertEqual(scheduler.commit(retry, results: [1: ChunkResult(tokens: [9])]), [.token(1, 9)])
        XCTAssertEqual(scheduler.invariantViolations(), [])
    }

    func testUnknownIDIsNil() {
        var scheduler = Scheduler(config: SchedulerConfig(maxNumBatchedTokens: 2048, numBlocks: 4))
        XCTAssertNil(scheduler.finish(42, reason: .cancelled))
    }
}
