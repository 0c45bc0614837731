import XCTest
import Scheduler

final class BucketingTests: XCTestCase {
    /// Admission fills a step from the bucket of the oldest request, then the next bucket the next step.
    func testAdmissionGroupsSimilarLengths() {
        var harness = Harness(SchedulerConfig(maxNumBatchedTokens: 2048, numBlocks: 256))
        harness.add(1, prompt: Harness.prompt(10, seed: 1), maxNewTokens: 20, at: 0.0)
        harness.add(2, prompt: Harness.prompt(100, seed: 2), maxNewTokens: 20, at: 0.1)
        harness.add(3, prompt: Harness.prompt(12, seed: 3), maxNewTokens: 20, at: 0.2)
        harness.add(4, prompt: Harness.prompt(200, seed: 4), maxNewTokens: 20, at: 0.3)
        harness.add(5, prompt: Harness.prompt(8, seed: 5), maxNewTokens: 20, at: 0.4)
        XCTAssertEqual(harness.scheduler.stats.waitingPerBucket, [3, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0])
        harness.now = 0.5

        let first = harness.step().plan
        XCTAssertEqual(first.chunks.map(\.id), [1, 3, 5])
        XCTAssertEqual(harness.scheduler.stats.lastStepPaddingRatio, 1 - 30.0 / 36.0, accuracy: 1e-12)
        XCTAssertEqual(harness.scheduler.stats.waitingPerBucket, [0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0])

        let second = harness.step().plan
        XCTAssertEqual(second.chunks.map(\.id), [1, 3, 5, 2])
        XCTAssertEqual(second.chunks.map(\.isPrefill), [false, false, false, true])
        let third = harness.step().plan
        XCTAssertEqual(third.chunks.map(\.id), [1, 3, 5, 2, 4])

        harness.runUntilIdle()
        harness.assertOutputsMatchReference()
        XCTAssertEqual(harness.finished.count, 5)
    }

    /// Requests older than maxWaitSeconds are admitted first, whatever their bucket; the rest of the step
    /// comes from the bucket of the oldest remaining request.
    func testAgingOverridesBuckets() {
        func firstStep(maxWaitSeconds: Double) -> [SequenceID] {
            var harness = Harness(SchedulerConfig(maxNumBatchedTokens: 2048, numBlocks: 256, maxWaitSeconds: maxWaitSeconds))
            harness.add(1, prompt: Harness.prompt(10, seed: 1), maxNewTokens: 4, at: 0.0)
            harness.add(2, prompt: Harness.prompt(100, seed: 2), maxNewTokens: 4, at: 0.5)
            harness.add(3, prompt: Harness.prompt(12, seed: 3), maxNewTokens: 4, at: 2.9)
            harness.add(4, prompt: Harness.prompt(200, seed: 4), maxNewTokens: 4, at: 2.95)
            harness.now = 3.0
            let ids = harness.step().plan.chunks.map(\.id)
            harness.runUntilIdle()
            harness.assertOutputsMatchReference()
            return ids
        }
        XCTAssertEqual(firstStep(maxWaitSeconds: 100), [1, 3], "buckets only")
        XCTAssertEqual(firstStep(maxWaitSeconds: 2), [1, 2, 3], "2 waited 2.5 s > 2 s")
    }

    /// A short request stuck behind a long one in the same bucket's FIFO is not skipped ahead, and a long
    /// request is not starved by a stream of short ones: it is the oldest, so its bucket is chosen.
    func testLongRequestIsNotStarvedByShortOnes() {
        var harness = Harness(SchedulerConfig(maxNumSeqs: 2, maxNumBatchedTokens: 2048, numBlocks: 256, maxWaitSeconds: 1000))
        harness.add(1, prompt: Harness.prompt(8, seed: 1), maxNewTokens: 3, at: 0)
        harness.add(2, prompt: Harness.prompt(8, seed: 2), maxNewTokens: 3, at: 0)
        harness.add(3, prompt: Harness.prompt(300, seed: 3), maxNewTokens: 3, at: 0.01)
        harness.now = 0.02
        var nextID = 4
        var admittedLong = false
        for _ in 0..<20 where !admittedLong {
            harness.add(nextID, prompt: Harness.prompt(8, seed: nextID), maxNewTokens: 3)
            nextID += 1
            admittedLong = harness.step().plan.chunks.contains { $0.id == 3 }
        }
        XCTAssertTrue(admittedLong)
        XCTAssertEqual(harness.plans.count, 4, "admitted as soon as a slot opened")
        harness.runUntilIdle()
        harness.assertOutputsMatchReference()
    }
}
