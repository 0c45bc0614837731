import Model
import Scheduler

/// Drafts with a smaller model of the target's vocabulary (`--spec draft --draft-model`). Its KV lives in a
/// cache of its own laid out exactly like the target's, addressed by the target's block tables: the blocks the
/// scheduler gives a sequence hold both models' KV, so one block pool (and one preemption) serves both.
///
/// Per step, for the decode chunks the scheduler planned with draft slots: one batched forward catches each
/// sequence's draft cache up to its last token and yields draft 1, then one batched single-token forward per
/// further draft. Each draft is drawn from the draft's distribution warped like the target's (greedy: its
/// argmax) with the sequence's keyed draw at that output position; the distributions are kept for the
/// rejection rule. Engine thread only.
final class DraftModelProposer {
    private struct SequenceState {
        var sampler: Sampler
        /// Prompt + output so far (the target's tokens).
        var tokens: [Int]
        let numPromptTokens: Int
        /// Positions of `tokens` whose KV is in the draft cache (a prefix: rejected drafts are overwritten later).
        var numCached = 0
        /// The draft distribution of each draft of this step, for the rejection rule.
        var distributions: [TokenDistribution]
        var acceptance: AcceptanceEstimate
    }

    let runner: ModelRunner
    let maxDraftTokens: Int
    /// Seconds of one draft forward, by rows; what drafting costs the step planner.
    private(set) var stepTimes: StepTimeModel
    /// Seconds per token of catching a draft cache up (a prefill on the draft), running mean.
    private var catchUpSecondsPerToken: Double?
    private var sequences: [SequenceID: SequenceState] = [:]
    private let clock: EngineClock
    /// Acceptance over every sequence; a new sequence starts from it (floored at `minPrior`), so a draft model
    /// that agrees with the target on nothing stops being tried on every new request.
    private var overall: AcceptanceEstimate
    static let minPrior = 0.1

    /// The draft's cache has the target's blocks (one block pool serves both) and stores K/V as the target's does.
    init(model: LlamaModel, numBlocks: Int, blockSize: Int, kvCacheDType: KVCacheDType = .f32, prefaultCache: Bool = false,
         maxDraftTokens: Int, prior: Double, maxRows: Int, clock: EngineClock) {
        runner = ModelRunner(model: model, numBlocks: numBlocks, blockSize: blockSize, kvCacheDType: kvCacheDType, prefaultCache: prefaultCache)
        self.maxDraftTokens = maxDraftTokens
        overall = AcceptanceEstimate(maxDraftTokens: maxDraftTokens, prior: prior)
        self.clock = clock
        stepTimes = StepTimeModel(maxRows: maxRows)
    }

    func add(_ id: SequenceID, sampler: Sampler, promptTokens: [Int]) {
        sequences[id] = SequenceState(
            sampler: sampler, tokens: promptTokens, numPromptTokens: promptTokens.count,
            distributions: Array(repeating: TokenDistribution(), count: maxDraftTokens),
            acceptance: AcceptanceEstimate(
                maxDraftTokens: maxDraftTokens, prior: max(Self.minPrior, overall.rates.first ?? Self.minPrior)))
    }

    func remove(_ id: SequenceID) { sequences[id] = nil }

    /// The sequence was preempted: its blocks (and so its draft KV) are gone.
    func dropCache(_ id: SequenceID) { sequences[id]?.numCached = 0 }

    func acceptance(of id: SequenceID) -> AcceptanceEstimate? { sequences[id]?.acceptance }
    func isDrafting(_ id: SequenceID) -> Bool { sequences[id] != nil }

    /// Draft `i`'s distribution this step (valid until the next `fill`).
    func distribution(of id: SequenceID, draft i: Int) -> TokenDistribution? { sequences[id]?.distributions[i] }

    /// Seconds the draft forwards of a step cost when `ids` draft, at most `maxPerSequence` each: catching their
    /// caches up (the tokens the target took since their last draft; the whole prompt the first time), then one
    /// forward per further draft. Unknown costs count as nothing, so drafting gets tried and measured.
    func estimatedSeconds(_ ids: [SequenceID], maxPerSequence: Int) -> Double {
        guard maxPerSequence > 0 else { return 0 }
        let numBehind = ids.reduce(0) { total, id in
            total + (sequences[id].map { max(0, $0.tokens.count - 1 - $0.numCached) } ?? 0)
        }
        let catchUp = Double(numBehind) * (catchUpSecondsPerToken ?? 0)
        return catchUp + Double(maxPerSequence) * (stepTimes.estimate(rows: ids.count) ?? 0)
    }

    /// Replaces the placeholder drafts of `plan`'s decode chunks with the draft model's.
    func fill(_ plan: inout StepPlan) throws {
        var drafting = plan.chunks.indices.filter { plan.chunks[$0].numDraftTokens > 0 && sequences[plan.chunks[$0].id] != nil }
        guard !drafting.isEmpty else { return }
        // Round 0: catch the draft cache up to each sequence's last token; its logits give draft 0.
        let catchUp = drafting.map { index -> ScheduledChunk in
            let chunk = plan.chunks[index], state = sequences[chunk.id]!
            let end = chunk.numCachedTokens + 1
            let start = min(state.numCached, end - 1)
            return ScheduledChunk(
                id: chunk.id, tokens: Array(state.tokens[start..<end]), numCachedTokens: start,
                blockTable: chunk.blockTable, logitIndices: [end - start - 1])
        }
        try timedForward(catchUp)
        for (row, index) in drafting.enumerated() { draw(&plan.chunks[index], draft: 0, row: row) }
        // Rounds 1...: feed draft i - 1, draw draft i, for the sequences that want that many.
        var round = 1
        while true {
            drafting = drafting.filter { plan.chunks[$0].numDraftTokens > round }
            guard !drafting.isEmpty else { break }
            let chunks = drafting.map { index -> ScheduledChunk in
                let chunk = plan.chunks[index]
                return ScheduledChunk(
                    id: chunk.id, tokens: [chunk.tokens[round]], numCachedTokens: chunk.numCachedTokens + round,
                    blockTable: chunk.blockTable, logitIndices: [0])
            }
            try timedForward(chunks)
            for (row, index) in drafting.enumerated() { draw(&plan.chunks[index], draft: round, row: row) }
            round += 1
        }
    }

    /// After verification: `newTokens` joined the sequence, the first `numAccepted` of them accepted drafts of a
    /// chunk that started at `chunkStart` with `numDrafted` drafts. Draft KV stays valid up to the accepted ones.
    func record(_ id: SequenceID, chunkStart: Int, numDrafted: Int, numAccepted: Int, newTokens: [Int]) {
        guard sequences[id] != nil else { return }
        sequences[id]!.tokens.append(contentsOf: newTokens)
        for token in newTokens { sequences[id]!.sampler.accept(token) }
        if numDrafted > 0 {
            // The draft wrote positions up to chunkStart + numDrafted - 1 (never its last draft).
            let valid = chunkStart + 1 + min(numAccepted, numDrafted - 1)
            sequences[id]!.numCached = min(sequences[id]!.numCached, valid)
            sequences[id]!.acceptance.record(numDrafted: numDrafted, numAccepted: numAccepted)
            overall.record(numDrafted: numDrafted, numAccepted: numAccepted)
        } else {
            sequences[id]!.acceptance.relax()
        }
    }

    private func timedForward(_ chunks: [ScheduledChunk]) throws {
        let started = clock.now()
        try runner.forward(ForwardBatch(chunks))
        let elapsed = clock.now() - started
        let numTokens = chunks.reduce(0) { $0 + $1.tokens.count }
        if numTokens == chunks.count {
            stepTimes.record(rows: chunks.count, seconds: elapsed)
        } else if numTokens >= 4 * chunks.count {
            // Mostly catch-up: its cost per token (the step's own rows are a small part of it).
            let perToken = elapsed / Double(numTokens)
            catchUpSecondsPerToken = catchUpSecondsPerToken.map { $0 + 0.2 * (perToken - $0) } ?? perToken
        }
        for chunk in chunks { sequences[chunk.id]!.numCached = chunk.numCachedTokens + chunk.tokens.count }
    }

    private func draw(_ chunk: inout ScheduledChunk, draft i: Int, row: Int) {
        let id = chunk.id
        let position = sequences[id]!.tokens.count - sequences[id]!.numPromptTokens + i
        // Swapped out while filled, so the buffer is reused rather than copied.
        var distribution = TokenDistribution()
        swap(&distribution, &sequences[id]!.distributions[i])
        let sampler = sequences[id]!.sampler
        runner.withLogits(row: row) { sampler.distribution($0, into: &distribution) }
        chunk.tokens[1 + i] = distribution.draw(unit: sampler.unit(position: position, stream: .draft))
        swap(&distribution, &sequences[id]!.distributions[i])
    }
}
