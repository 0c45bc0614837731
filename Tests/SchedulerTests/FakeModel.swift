import XCTest
import Scheduler

/// A deterministic stand-in for the model: the next token is a hash of the whole context. The fake keeps a
/// paged "KV cache" whose slots store, like a real model's KV, something that depends on the whole prefix: the
/// token, its position and a digest chained from the previous position's slot, read back through the chunk's
/// block table when it is written. Reading a context checks the chain and that the cached positions hold the
/// sequence's true tokens; a write into a block another table lists too, or one the prefix cache has published,
/// fails the test. So a wrong block table, a cached block reused for another prefix, a block freed or overwritten
/// while still read, or a cache the scheduler thinks is filled but is not, all fail the test.
struct FakeModel {
    struct Slot: Equatable {
        var position: Int
        var token: Int
        /// Chained from the slot before: equal digests, equal prefixes.
        var digest: UInt64
    }

    let blockSize: Int
    /// block id -> its slots
    private var blocks: [Int: [Slot?]] = [:]

    init(blockSize: Int) {
        self.blockSize = blockSize
    }

    static func digest(after previous: UInt64, token: Int) -> UInt64 {
        (previous ^ UInt64(truncatingIfNeeded: token)) &* 0x0000_0100_0000_01b3 &+ 0x9e37_79b9
    }

    /// The next token after `context`, the same whatever batch or cache layout produced it.
    static func nextToken(after context: some Sequence<Int>) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for token in context {
            hash = (hash ^ UInt64(truncatingIfNeeded: token)) &* 0x0000_0100_0000_01b3
        }
        return Int(hash % 50_000)
    }

    /// What the scheduler must produce for a request, computed without it.
    static func reference(prompt: [Int], maxNewTokens: Int) -> [Int] {
        var tokens = prompt
        for _ in 0..<maxNewTokens { tokens.append(nextToken(after: tokens)) }
        return Array(tokens[prompt.count...])
    }

    /// Runs a step: writes each chunk's tokens into its blocks, then for each logit row the next token after
    /// the context up to that row, read back out of the cache (for a decode with drafts, row i sees drafts < i).
    /// `pool` is the scheduler's, as planned; `truth(id)` the sequence's final tokens so far.
    mutating func forward(
        _ plan: StepPlan, pool: BlockPool, truth: (SequenceID) -> [Int]?, file: StaticString = #filePath, line: UInt = #line
    ) -> [SequenceID: [Int]] {
        var sampled: [SequenceID: [Int]] = [:]
        for chunk in plan.chunks {
            let end = chunk.numCachedTokens + chunk.tokens.count
            guard chunk.blockTable.count * blockSize >= end else {
                XCTFail("chunk of \(chunk.id) covers \(end) tokens with \(chunk.blockTable.count) blocks", file: file, line: line)
                continue
            }
            for (offset, token) in chunk.tokens.enumerated() {
                let position = chunk.numCachedTokens + offset
                let block = chunk.blockTable[position / blockSize]
                // Count 0: the sequence was finished between plan and forward, and its blocks freed (as the scheduler allows).
                guard pool.referenceCount(of: block) <= 1, pool.hash(of: block) == nil else {
                    XCTFail("sequence \(chunk.id) writes position \(position) into block \(block), listed \(pool.referenceCount(of: block))×, cached: \(pool.hash(of: block) != nil)", file: file, line: line)
                    return sampled
                }
                let previous = position == 0 ? 0 : slot(chunk.blockTable, position - 1)?.digest ?? 0
                blocks[block, default: Array(repeating: nil, count: blockSize)][position % blockSize] =
                    Slot(position: position, token: token, digest: Self.digest(after: previous, token: token))
            }
            guard chunk.needsLogits else { continue }
            var context: [Int] = []
            context.reserveCapacity(end)
            var digest: UInt64 = 0
            for position in 0..<end {
                let slot = slot(chunk.blockTable, position)
                guard let slot, slot.position == position, slot.digest == Self.digest(after: digest, token: slot.token) else {
                    XCTFail("sequence \(chunk.id) position \(position): cache holds \(String(describing: slot))", file: file, line: line)
                    return sampled
                }
                digest = slot.digest
                context.append(slot.token)
            }
            if let truth = truth(chunk.id) {
                let numFinal = min(chunk.numCachedTokens, truth.count)
                XCTAssertEqual(context.prefix(numFinal), truth.prefix(numFinal), "sequence \(chunk.id) reads another prefix", file: file, line: line)
            }
            sampled[chunk.id] = chunk.logitIndices.map { Self.nextToken(after: context.prefix(chunk.numCachedTokens + $0 + 1)) }
        }
        return sampled
    }

    private func slot(_ blockTable: [Int], _ position: Int) -> Slot? {
        blocks[blockTable[position / blockSize]]?[position % blockSize] ?? nil
    }
}

/// Drives a scheduler with the fake model and checks the per-step guarantees on every step.
struct Harness {
    var scheduler: Scheduler
    var model: FakeModel
    var now = 0.0
    var timeStep = 0.01
    var requests: [SequenceID: SequenceRequest] = [:]
    /// Tokens streamed per sequence, from `.token` events.
    var outputs: [SequenceID: [Int]] = [:]
    var finished: [SequenceID: FinishReason] = [:]
    var plans: [StepPlan] = []
    /// Drafts for the next plan, by sequence (speculative decoding); consumed by `plan`.
    var drafts: [SequenceID: [Int]] = [:]
    var numDraftTokens = 0
    var numAcceptedDraftTokens = 0

    init(_ config: SchedulerConfig) {
        scheduler = Scheduler(config: config)
        model = FakeModel(blockSize: config.blockSize)
    }

    var config: SchedulerConfig { scheduler.config }

    mutating func add(
        _ id: SequenceID, prompt: [Int], maxNewTokens: Int, at arrival: Double? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let request = SequenceRequest(id: id, promptTokens: prompt, maxNewTokens: maxNewTokens, arrivalTime: arrival ?? now)
        do {
            try scheduler.add(request)
            requests[id] = request
        } catch {
            XCTFail("add(\(id)) threw \(error)", file: file, line: line)
        }
    }

    /// `add` that reports the error instead of failing.
    mutating func tryAdd(_ id: SequenceID, prompt: [Int], maxNewTokens: Int) -> SchedulerError? {
        let request = SequenceRequest(id: id, promptTokens: prompt, maxNewTokens: maxNewTokens, arrivalTime: now)
        do throws(SchedulerError) {
            try scheduler.add(request)
            requests[id] = request
            return nil
        } catch {
            return error
        }
    }

    /// Drafts of `count` tokens for every decoding sequence: the true continuation, with the token at
    /// `wrongAt` (if any) replaced by a wrong one, so verification accepts exactly the tokens before it.
    mutating func proposeDrafts(count: Int, wrongAt: (SequenceID) -> Int?) {
        for id in scheduler.decodingIDs {
            guard let request = requests[id] else { continue }
            var context = request.promptTokens + (outputs[id] ?? [])
            var draft: [Int] = []
            for index in 0..<count {
                let token = FakeModel.nextToken(after: context)
                draft.append(index == wrongAt(id) ? token + 1 : token)
                context.append(token)
            }
            drafts[id] = draft
        }
    }

    /// A prompt of `count` tokens, distinct per `seed`.
    static func prompt(_ count: Int, seed: Int) -> [Int] {
        (0..<count).map { (seed &* 7919 &+ $0 &* 31) % 1000 }
    }

    mutating func plan(file: StaticString = #filePath, line: UInt = #line) -> StepPlan {
        let plan = scheduler.plan(now: now, drafts: drafts)
        drafts = [:]
        check(plan, file: file, line: line)
        plans.append(plan)
        return plan
    }

    /// The engine's part: greedy verification (accept drafts while they equal the model's token, then take the
    /// model's token) and the length limit, decided here as the engine decides it.
    @discardableResult
    mutating func commit(_ plan: StepPlan, file: StaticString = #filePath, line: UInt = #line) -> [SequenceEvent] {
        let rows = model.forward(
            plan, pool: scheduler.pool, truth: { id in requests[id].map { $0.promptTokens + (outputs[id] ?? []) } },
            file: file, line: line)
        var results: [SequenceID: ChunkResult] = [:]
        for chunk in plan.chunks {
            guard let predicted = rows[chunk.id], let generated = scheduler.numGeneratedTokens(of: chunk.id),
                let request = requests[chunk.id]
            else { continue }
            var tokens: [Int] = []
            for (row, token) in predicted.enumerated() {
                tokens.append(token)
                guard row < chunk.numDraftTokens, token == chunk.draftTokens.dropFirst(row).first else { break }
            }
            numDraftTokens += chunk.numDraftTokens
            numAcceptedDraftTokens += tokens.count - 1
            let remaining = request.maxNewTokens - generated
            results[chunk.id] = ChunkResult(
                tokens: Array(tokens.prefix(remaining)), finishReason: tokens.count >= remaining ? .length : nil)
        }
        let events = scheduler.commit(plan, results: results)
        record(events, file: file, line: line)
        checkInvariants(file: file, line: line)
        now += timeStep
        return events
    }

    /// plan → fake forward → commit.
    @discardableResult
    mutating func step(file: StaticString = #filePath, line: UInt = #line) -> (plan: StepPlan, events: [SequenceEvent]) {
        let plan = plan(file: file, line: line)
        return (plan, commit(plan, file: file, line: line))
    }

    /// Steps until the scheduler is idle; fails if it takes more than `maxSteps` (a hang).
    mutating func runUntilIdle(maxSteps: Int = 100_000, file: StaticString = #filePath, line: UInt = #line) {
        var steps = 0
        while scheduler.hasWork {
            step(file: file, line: line)
            steps += 1
            if steps > maxSteps {
                XCTFail("not idle after \(maxSteps) steps: \(scheduler.stats)", file: file, line: line)
                return
            }
        }
    }

    mutating func finish(_ id: SequenceID, reason: FinishReason, file: StaticString = #filePath, line: UInt = #line) -> SequenceEvent? {
        let event = scheduler.finish(id, reason: reason)
        if let event { record([event], file: file, line: line) }
        checkInvariants(file: file, line: line)
        return event
    }

    mutating func record(_ events: [SequenceEvent], file: StaticString, line: UInt) {
        for event in events {
            switch event {
            case .token(let id, let token):
                XCTAssertNil(finished[id], "token for finished sequence \(id)", file: file, line: line)
                outputs[id, default: []].append(token)
            case .finished(let id, let reason):
                XCTAssertNil(finished[id], "sequence \(id) finished twice", file: file, line: line)
                finished[id] = reason
                XCTAssertNil(scheduler.blockTable(of: id), "finished sequence \(id) still known", file: file, line: line)
            }
        }
    }

    func check(_ plan: StepPlan, file: StaticString, line: UInt) {
        XCTAssertLessThanOrEqual(plan.numTokens, config.maxNumBatchedTokens, "token budget", file: file, line: line)
        XCTAssertLessThanOrEqual(plan.chunks.count, config.maxNumSeqs, "maxNumSeqs", file: file, line: line)
        XCTAssertLessThanOrEqual(scheduler.stats.numRunning, config.maxNumSeqs, "maxNumSeqs", file: file, line: line)
        XCTAssertEqual(Set(plan.chunks.map(\.id)).count, plan.chunks.count, "a sequence twice in one step", file: file, line: line)
        XCTAssertTrue(Set(plan.chunks.map(\.id)).isDisjoint(with: plan.preempted), "preempted but scheduled", file: file, line: line)
        for chunk in plan.chunks {
            XCTAssertFalse(chunk.tokens.isEmpty, "empty chunk for \(chunk.id)", file: file, line: line)
            if !chunk.isPrefill {
                XCTAssertEqual(chunk.tokens.count, 1 + chunk.numDraftTokens, "decode of \(chunk.id)", file: file, line: line)
                XCTAssertEqual(chunk.logitIndices, Array(0...chunk.numDraftTokens), file: file, line: line)
                let remaining = (requests[chunk.id]?.maxNewTokens ?? 0) - (scheduler.numGeneratedTokens(of: chunk.id) ?? 0)
                XCTAssertLessThan(chunk.numDraftTokens, remaining, "drafts past maxNewTokens", file: file, line: line)
            } else {
                XCTAssertEqual(chunk.numDraftTokens, 0, file: file, line: line)
            }
        }
        checkInvariants(file: file, line: line)
    }

    func checkInvariants(file: StaticString = #filePath, line: UInt = #line) {
        let problems = scheduler.invariantViolations()
        XCTAssertTrue(problems.isEmpty, problems.joined(separator: "\n"), file: file, line: line)
    }

    /// Every request that finished by length streamed exactly the reference tokens.
    func assertOutputsMatchReference(file: StaticString = #filePath, line: UInt = #line) {
        for (id, reason) in finished where reason == .length {
            guard let request = requests[id] else { continue }
            let expected = FakeModel.reference(prompt: request.promptTokens, maxNewTokens: request.maxNewTokens)
            XCTAssertEqual(outputs[id] ?? [], expected, "sequence \(id)", file: file, line: line)
        }
    }
}

/// SplitMix64: a small seeded generator so random tests replay exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
