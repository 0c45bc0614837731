import XCTest
import Scheduler

final class PreemptionTests: XCTestCase {
    /// Runs `requests` to completion, checking each step's preemptions; returns the harness.
    private func run(
        _ config: SchedulerConfig, _ requests: [(prompt: [Int], maxNewTokens: Int)],
        file: StaticString = #filePath, line: UInt = #line
    ) -> Harness {
        var harness = Harness(config)
        for (index, request) in requests.enumerated() {
            harness.add(index, prompt: request.prompt, maxNewTokens: request.maxNewTokens, file: file, line: line)
        }
        var steps = 0
        while harness.scheduler.hasWork && steps < 10_000 {
            let runningBefore = harness.scheduler.runningIDs
            let generatedBefore = Dictionary(uniqueKeysWithValues: runningBefore.map {
                ($0, harness.scheduler.numGeneratedTokens(of: $0)!)
            })
            let (plan, events) = harness.step(file: file, line: line)
            steps += 1
            // Victims are taken newest first, and their clients see nothing but a pause.
            let expectedVictims = Array(runningBefore.reversed().prefix(plan.preempted.count))
            XCTAssertEqual(plan.preempted, expectedVictims, file: file, line: line)
            for id in plan.preempted {
                XCTAssertFalse(events.contains { $0.id == id }, "event for preempted \(id)", file: file, line: line)
                XCTAssertEqual(harness.scheduler.blockTable(of: id), [], "preempted \(id) keeps blocks", file: file, line: line)
                XCTAssertEqual(harness.scheduler.numGeneratedTokens(of: id), generatedBefore[id], file: file, line: line)
            }
            if !plan.preempted.isEmpty {
                XCTAssertEqual(Array(harness.scheduler.waitingIDs.prefix(plan.preempted.count)), plan.preempted.reversed(),
                               "requeued at the front, oldest first", file: file, line: line)
            }
        }
        XCTAssertFalse(harness.scheduler.hasWork, "hung", file: file, line: line)
        XCTAssertEqual(harness.scheduler.stats.numFreeBlocks, config.numBlocks, file: file, line: line)
        XCTAssertEqual(harness.finished.count, requests.count, file: file, line: line)
        for (index, request) in requests.enumerated() {
            XCTAssertEqual(harness.finished[index], .length, file: file, line: line)
            XCTAssertEqual(harness.outputs[index]?.count, request.maxNewTokens, file: file, line: line)
        }
        harness.assertOutputsMatchReference(file: file, line: line)
        return harness
    }

    func testTinyPoolPreemptsAndEveryRequestStillCompletesIdentically() {
        let requests = (0..<4).map { (prompt: Harness.prompt(6, seed: $0), maxNewTokens: 10) }
        let ample = run(SchedulerConfig(maxNumSeqs: 4, maxNumBatchedTokens: 64, blockSize: 4, numBlocks: 64), requests)
        XCTAssertEqual(ample.scheduler.stats.numPreemptionsTotal, 0)

        // 4 sequences of 16 tokens need 16 blocks; the pool has 8 (each fits alone: 4 blocks).
        let tiny = run(SchedulerConfig(maxNumSeqs: 4, maxNumBatchedTokens: 64, blockSize: 4, numBlocks: 8), requests)
        XCTAssertGreaterThan(tiny.scheduler.stats.numPreemptionsTotal, 0)
        XCTAssertEqual(tiny.outputs, ample.outputs, "same tokens as without pressure")

        // The first preemption takes the newest (3) when the oldest decodes into a new block.
        let first = tiny.plans.first { !$0.preempted.isEmpty }!
        XCTAssertEqual(first.preempted.first, 3)
        // A recompute prefills prompt + generated tokens, and samples the next one at its end.
        let recompute = tiny.plans.lazy.flatMap(\.chunks).first { $0.id == 3 && $0.isPrefill && $0.tokens.count > 6 }!
        XCTAssertEqual(recompute.numCachedTokens, 0)
        XCTAssertEqual(Array(recompute.tokens.prefix(6)), requests[3].prompt)
        XCTAssertEqual(Array(recompute.tokens.dropFirst(6)), Array(ample.outputs[3]!.prefix(recompute.tokens.count - 6)))
    }

    /// A single sequence as large as the whole pool completes alone, with others queued behind it.
    func testSequenceFillingThePoolCompletes() {
        let requests = [(prompt: Harness.prompt(10, seed: 1), maxNewTokens: 6),
                        (prompt: Harness.prompt(3, seed: 2), maxNewTokens: 13),
                        (prompt: Harness.prompt(1, seed: 3), maxNewTokens: 15)]
        let harness = run(SchedulerConfig(maxNumSeqs: 3, maxNumBatchedTokens: 8, blockSize: 4, numBlocks: 4), requests)
        XCTAssertGreaterThan(harness.scheduler.stats.numPreemptionsTotal, 0)
    }

    /// Many random requests, chunked prefill and a pool far too small: preemption of prefilling and decoding
    /// sequences, no hang, identical outputs.
    func testRandomLoadUnderPressure() {
        var generator = SeededGenerator(seed: 7)
        for round in 0..<20 {
            let requests = (0..<12).map { index in
                (prompt: Harness.prompt(Int.random(in: 1...30, using: &generator), seed: round * 100 + index),
                 maxNewTokens: Int.random(in: 1...18, using: &generator))
            }
            let harness = run(
                SchedulerConfig(maxNumSeqs: 6, maxNumBatchedTokens: Int.random(in: 4...40, using: &generator),
                                blockSize: 4, numBlocks: 12, bucketEdges: [4, 8, 16]),
                requests
            )
            XCTAssertGreaterThan(harness.scheduler.stats.numPreemptionsTotal, 0, "round \(round)")
        }
    }
}
