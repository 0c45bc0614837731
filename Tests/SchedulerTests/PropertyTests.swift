import XCTest
import Scheduler

/// 10k random operations (drafts verified and rejected among them, prompts sharing prefixes so blocks are shared
/// and cached ones evicted) against a small pool; after every one, each block's count equals the tables listing
/// it and the free queue holds exactly the blocks of count zero (`invariantViolations`). At the end nothing is
/// leaked, every request is accounted for, and every output is the reference's.
final class PropertyTests: XCTestCase {
    func testTenThousandRandomOperations() {
        for seed: UInt64 in [1, 2] {
            runRandomOperations(seed: seed, count: 10_000)
        }
    }

    private func runRandomOperations(seed: UInt64, count: Int) {
        var generator = SeededGenerator(seed: seed)
        let config = SchedulerConfig(
            maxNumSeqs: 4, maxNumBatchedTokens: 16, blockSize: 4, numBlocks: 24,
            bucketEdges: [4, 8, 16, 32], maxWaitSeconds: 0.5, maxWaitingRequests: 12
        )
        var harness = Harness(config)
        var live: [SequenceID] = []
        var nextID = 0
        var counts: [String: Int] = [:]
        let systems = [5, 9, 14].map { Harness.prompt($0, seed: 10_000 + $0) }

        func forget(_ events: [SequenceEvent]) {
            for case .finished(let id, _) in events { live.removeAll { $0 == id } }
        }

        for _ in 0..<count {
            let roll = Int.random(in: 0..<100, using: &generator)
            switch roll {
            case 0..<30:  // add, sometimes invalid
                let reuse = !live.isEmpty && Int.random(in: 0..<10, using: &generator) == 0
                let id = reuse ? live.randomElement(using: &generator)! : nextID
                // Half share one of three system prompts (0 to 3 blocks and a bit), so blocks are shared and reused.
                let system = Bool.random(using: &generator) ? systems.randomElement(using: &generator)! : []
                let prompt = system + Harness.prompt(Int.random(in: 0...(60 - system.count), using: &generator), seed: id)
                let maxNewTokens = Int.random(in: 0...40, using: &generator)
                let waitingBefore = harness.scheduler.stats.numWaiting
                let error = harness.tryAdd(id, prompt: prompt, maxNewTokens: maxNewTokens)
                let expected: SchedulerError? =
                    if reuse { .duplicateID(id) }
                    else if prompt.isEmpty { .emptyPrompt(id) }
                    else if maxNewTokens < 1 { .invalidMaxNewTokens(maxNewTokens) }
                    else if prompt.count + maxNewTokens > 96 { .promptTooLong(numTokens: prompt.count + maxNewTokens, maxTokens: 96) }
                    else if waitingBefore >= 12 { .queueFull(limit: 12) }
                    else { nil }
                XCTAssertEqual(error, expected)
                counts[error.map { "\($0)".prefix(while: { $0 != "(" }).description } ?? "added", default: 0] += 1
                if !reuse { nextID += 1 }
                if error == nil { live.append(id) }
            case 30..<75:  // a full step, half of them with drafts that are right up to a random token
                if Bool.random(using: &generator) {
                    let count = Int.random(in: 1...6, using: &generator)
                    let wrongAt = (0..<16).map { _ in Int.random(in: 0...count, using: &generator) }
                    harness.proposeDrafts(count: count, wrongAt: { wrongAt[$0 % 16] })
                }
                let (plan, events) = harness.step()
                counts["preempted", default: 0] += plan.preempted.count
                forget(events)
            case 75..<83:  // finish a scheduled sequence while its step is in flight
                let plan = harness.plan()
                let victim = plan.chunks.randomElement(using: &generator)
                if let victim {
                    XCTAssertEqual(harness.finish(victim.id, reason: .cancelled), .finished(victim.id, .cancelled))
                    live.removeAll { $0 == victim.id }
                    counts["cancelledInFlight", default: 0] += 1
                }
                let events = harness.commit(plan)
                XCTAssertFalse(events.contains { $0.id == victim?.id }, "events for a sequence finished in flight")
                forget(events)
            case 83..<95:  // eos / stop / client gone, waiting or running
                guard let id = live.randomElement(using: &generator) else { continue }
                let reason: FinishReason = Bool.random(using: &generator) ? .stop : .cancelled
                XCTAssertEqual(harness.finish(id, reason: reason), .finished(id, reason))
                live.removeAll { $0 == id }
                counts[harness.scheduler.blockTable(of: id) == nil ? "finished" : "?", default: 0] += 1
            case 95..<97:
                XCTAssertNil(harness.finish(nextID + 1000, reason: .cancelled))
            default:
                harness.now += 1
            }
            XCTAssertEqual(Set(live), Set(harness.requests.keys).subtracting(harness.finished.keys))
            XCTAssertEqual(harness.scheduler.stats.numRunning + harness.scheduler.stats.numWaiting, live.count)
            let problems = harness.scheduler.invariantViolations()
            if !problems.isEmpty {
                XCTFail("seed \(seed): " + problems.joined(separator: "\n"))
                return
            }
        }

        harness.runUntilIdle()
        XCTAssertEqual(harness.scheduler.stats.numFreeBlocks, config.numBlocks, "leaked blocks")
        XCTAssertEqual(harness.scheduler.stats.kvCacheUsage, 0)
        XCTAssertEqual((0..<config.numBlocks).map(harness.scheduler.pool.referenceCount(of:)), Array(repeating: 0, count: config.numBlocks))
        XCTAssertGreaterThan(harness.scheduler.stats.numCachedBlocks, 0, "seed \(seed): the cache emptied")
        XCTAssertEqual(Set(harness.finished.keys), Set(harness.requests.keys), "every request accounted for")
        for (id, request) in harness.requests {
            let expected = FakeModel.reference(prompt: request.promptTokens, maxNewTokens: request.maxNewTokens)
            let output = harness.outputs[id] ?? []
            if harness.finished[id] == .length {
                XCTAssertEqual(output, expected, "sequence \(id)")
            } else {
                XCTAssertEqual(output, Array(expected.prefix(output.count)), "sequence \(id) stopped early")
            }
        }
        // The run exercised what it claims to.
        for key in ["added", "queueFull", "duplicateID", "promptTooLong", "preempted", "cancelledInFlight", "finished"] {
            XCTAssertGreaterThan(counts[key, default: 0], 0, "seed \(seed): never hit \(key); \(counts)")
        }
        XCTAssertGreaterThan(harness.finished.values.filter { $0 == .length }.count, 100, "seed \(seed)")
        XCTAssertGreaterThan(harness.numAcceptedDraftTokens, 100, "seed \(seed)")
        XCTAssertGreaterThan(harness.scheduler.stats.numPrefixCacheHitTokens, 1000, "seed \(seed): few prefix cache hits")
        XCTAssertGreaterThan(harness.scheduler.pool.numEvictions, 100, "seed \(seed): few evictions")
        XCTAssertGreaterThan(harness.numDraftTokens, harness.numAcceptedDraftTokens, "seed \(seed): no draft was rejected")
    }
}
