import Grammar
import Logging
import Model
import Scheduler
import Tokenizer

/// Seconds since the engine started, on a monotonic clock; the scheduler's and the metrics' time.
struct EngineClock: Sendable {
    private let start = ContinuousClock.now

    func now() -> Double {
        let elapsed = start.duration(to: .now).components
        return Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
    }
}

/// The engine step — drain the inbox → propose drafts → plan → forward → verify and sample → decide what is
/// kept and what finished → commit → publish — and the state only the engine thread touches: scheduler,
/// model runner (KV cache + scratch), active sequences, the step-time model speculation plans with.
/// Not Sendable: created on the engine thread and never leaves it.
final class EngineLoop {
    var scheduler: Scheduler
    let runner: ModelRunner
    private let tokenizer: Tokenizer
    private let inbox: EngineInbox
    let metrics: EngineMetrics
    private let clock: EngineClock
    private let logger: Logger
    let speculation: SpeculationConfig
    var active: [SequenceID: ActiveSequence] = [:]
    /// Step seconds by rows, measured here; what drafting costs (`DraftLengthPlanner`).
    var stepTimes: StepTimeModel
    /// The draft model (`--spec draft`), nil otherwise.
    let draftModel: DraftModelProposer?
    /// Injected failures (tests only).
    private let faults: EngineFaults?
    /// Events a stream may hold unread before its sequence is cancelled (`EngineConfig.maxBufferedEvents`).
    let maxBufferedEvents: Int
    /// Reused for the target's distribution when verifying a draft model's drafts.
    private var targetDistribution = TokenDistribution()
    /// Every token's bytes, for grammars (`response_format`); built at the first constrained request.
    private lazy var grammarVocabulary = TokenVocabulary(
        tokenBytes: (0..<runner.model.config.vocabSize).map { $0 < tokenizer.vocabularySize ? tokenizer.tokenBytes($0) : nil },
        eosTokenIds: tokenizer.eosTokenId.map { [$0] } ?? [])
    /// The tokens a constrained row may take; refilled for each such row.
    private lazy var grammarMask = TokenMask(count: grammarVocabulary.count)
    /// The scheduler snapshot last given to the metrics (their counters advance by the difference).
    private var lastStats: SchedulerStats?

    init(
        model: LlamaModel, tokenizer: Tokenizer, schedulerConfig: SchedulerConfig, kvCacheDType: KVCacheDType = .f32,
        prefaultCache: Bool = false, speculation: SpeculationConfig,
        draftModel: LlamaModel? = nil, inbox: EngineInbox, metrics: EngineMetrics, clock: EngineClock, logger: Logger,
        maxBufferedEvents: Int = EngineConfig().maxBufferedEvents, faults: EngineFaults? = nil
    ) {
        self.faults = faults
        self.maxBufferedEvents = maxBufferedEvents
        scheduler = Scheduler(config: schedulerConfig)
        runner = ModelRunner(
            model: model, numBlocks: schedulerConfig.numBlocks, blockSize: schedulerConfig.blockSize, kvCacheDType: kvCacheDType,
            prefaultCache: prefaultCache)
        self.tokenizer = tokenizer
        self.inbox = inbox
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
        self.speculation = speculation
        stepTimes = StepTimeModel(maxRows: schedulerConfig.maxNumBatchedTokens)
        self.draftModel = speculation.mode == .draft ? draftModel.map {
            DraftModelProposer(
                model: $0, numBlocks: schedulerConfig.numBlocks, blockSize: schedulerConfig.blockSize, kvCacheDType: kvCacheDType,
                prefaultCache: prefaultCache,
                maxDraftTokens: speculation.maxDraftTokens, prior: speculation.draftModelPrior,
                maxRows: schedulerConfig.maxNumSeqs, clock: clock)
        } : nil
    }

    /// Steps until shut down and out of work.
    func run() {
        while true {
            let mail = inbox.takeMail()
            receive(mail)
            if mail.shutdown == .cancelInFlight {
                failAll(GenerationFailure(kind: .shuttingDown, message: "The server shut down before this request finished."))
            }
            guard scheduler.hasWork else {
                publishStats()
                if mail.shutdown != nil { return }
                inbox.waitForMail()
                continue
            }
            if !step() {
                // Work but nothing schedulable (should not happen: every admitted request fits the pool).
                // Sleep briefly instead of spinning.
                inbox.waitForMail(timeout: 0.01)
            }
        }
    }

    // MARK: Inbox

    private func receive(_ mail: EngineInbox.Mail) {
        var numEndedUnstarted = 0
        for submission in mail.submissions {
            if !admit(submission) { numEndedUnstarted += 1 }
        }
        for id in mail.cancellations {
            guard let sequence = active.removeValue(forKey: id) else { continue }
            _ = scheduler.finish(id, reason: .cancelled)
            draftModel?.remove(id)
            if !sequence.hasStarted { numEndedUnstarted += 1 }
        }
        inbox.markStarted(numEndedUnstarted)
    }

    /// Hands a submission to the scheduler; false if it was refused (its stream is finished).
    private func admit(_ submission: Submission) -> Bool {
        let request = submission.request
        do {
            try scheduler.add(
                SequenceRequest(
                    id: submission.id, promptTokens: request.promptTokens, maxNewTokens: request.maxTokens,
                    arrivalTime: submission.arrivalTime))
        } catch {
            // `generate` checked the limits the scheduler enforces; reaching this is a bug, not a user error.
            logger.error("scheduler refused sequence \(submission.id): \(error)")
            submission.continuation.yield(.failed(GenerationFailure(kind: .engineError, message: "The scheduler refused this request: \(error).")))
            submission.continuation.finish()
            return false
        }
        let sampler = Sampler(params: request.sampling, promptTokens: request.promptTokens)
        if let draftModel, request.allowsSpeculation, request.predictionTokens?.isEmpty ?? true {
            // Same seed as the target's, so a seeded request drafts the same way every time.
            var params = request.sampling
            params.seed = sampler.seed
            draftModel.add(submission.id, sampler: Sampler(params: params, promptTokens: request.promptTokens), promptTokens: request.promptTokens)
        }
        active[submission.id] = ActiveSequence(
            continuation: submission.continuation,
            numPromptTokens: request.promptTokens.count,
            wantsLogprobs: request.sampling.numTopLogprobs != nil,
            sampler: sampler,
            output: SequenceOutput(
                tokenizer: tokenizer, stopStrings: request.stopStrings, stopTokenIds: request.stopTokenIds,
                maxTokens: request.maxTokens, skipSpecialTokens: request.skipSpecialTokens),
            speculation: request.allowsSpeculation
                ? SequenceSpeculation(
                    promptTokens: request.promptTokens, predictionTokens: request.predictionTokens, config: speculation)
                : nil,
            grammar: request.grammar.map { GrammarMatcher(grammar: $0, vocabulary: grammarVocabulary) },
            arrivalTime: submission.arrivalTime)
        return true
    }

    // MARK: Step

    /// One engine step; false if the plan was empty.
    private func step() -> Bool {
        var plan = scheduler.plan(now: clock.now(), drafts: proposeDrafts())
        guard !plan.isEmpty else {
            publishStats()
            return false
        }
        markStarted(plan)
        for id in plan.preempted { draftModel?.dropCache(id) }

        let started = clock.now()
        do {
            try faults?.beforeForward(plan)
            try draftModel?.fill(&plan)
            try runner.forward(ForwardBatch(plan.chunks, argmaxOnly: plan.chunks.map { active[$0.id]?.isArgmaxOnly ?? false }))
        } catch {
            // The scheduler only plans valid batches; if the model disagrees, these sequences fail rather than
            // retry the same batch forever. Their clients get an error, not a finish.
            logger.error("forward failed: \(error); failing \(plan.chunks.count) sequences")
            let failure = GenerationFailure(kind: .engineError, message: "The model failed on this request's step: \(error).")
            for chunk in plan.chunks { fail(chunk.id, failure) }
            publishStats()
            return true
        }

        var results: [SequenceID: ChunkResult] = [:]
        var row = 0
        for chunk in plan.chunks where chunk.needsLogits {
            defer { row += chunk.logitIndices.count }
            guard active[chunk.id] != nil else { continue }
            results[chunk.id] = decide(chunk, firstRow: row)
        }
        let finished = clock.now()
        stepTimes.record(rows: plan.numTokens, seconds: finished - started)
        scheduler.commit(plan, results: results)
        for (id, sequence) in active where sequence.isOverflowing {
            fail(id, GenerationFailure(
                kind: .slowClient,
                message: "The client fell \(maxBufferedEvents) events behind reading this stream; the request was cancelled."))
        }
        for (id, result) in results where result.finishReason != nil { close(id) }
        publishStats()
        return true
    }

    /// The one place that decides a sequence's step: verify its drafts row by row (the token the sampler
    /// draws at each output position, the same one it would draw without drafts; accepted while it equals
    /// the draft), keep tokens up to the first that finishes it (eos, stop string, max tokens), stream them.
    private func decide(_ chunk: ScheduledChunk, firstRow: Int) -> ChunkResult {
        let id = chunk.id
        let drafts = chunk.draftTokens
        let sampled = verify(chunk, firstRow: firstRow)
        let numAccepted = sampled.count - 1
        metrics.recordVerification(numDrafted: drafts.count, numAccepted: numAccepted)

        let accepted = active[id]!.output.accept(sampled.lazy.map(\.token))
        let kept = sampled.prefix(accepted.numKept).map(\.token)
        active[id]!.speculation?.record(numDrafted: drafts.count, numAccepted: numAccepted, newTokens: kept)
        draftModel?.record(id, chunkStart: chunk.numCachedTokens, numDrafted: drafts.count, numAccepted: numAccepted, newTokens: kept)
        recordTokenTiming(id, numTokens: accepted.numKept)
        publish(id, accepted, sampled)
        if accepted.finishReason != nil { draftModel?.remove(id) }
        let reason: FinishReason? = accepted.finishReason.map { $0 == .stop ? .stop : .length }
        return ChunkResult(tokens: kept, finishReason: reason)
    }

    /// The target's tokens for a chunk's rows, up to and including the first that is not an accepted draft.
    /// Drafts without probabilities (n-gram, prediction, any greedy draft): the token the sampler draws at that
    /// output position — the one it would draw without drafts — accepted while it equals the draft. A draft
    /// model's drafts when sampling: the rejection rule (`SpeculativeVerification`), which keeps the target's
    /// distribution exactly. Each token is recorded for penalties before the next row is sampled. A constrained
    /// sequence draws each row from the tokens its grammar allows after the rows before, so a draft the grammar
    /// refuses is never accepted.
    private func verify(_ chunk: ScheduledChunk, firstRow: Int) -> [SampledToken] {
        let id = chunk.id
        let drafts = chunk.draftTokens
        let usesRejection = active[id]!.sampler.params.temperature > 0 && draftModel?.isDrafting(id) == true
        var grammar = active[id]!.grammar
        var sampled: [SampledToken] = []
        for row in 0...drafts.count {
            let position = active[id]!.output.numGeneratedTokens + row
            let isDraftRow = row < drafts.count
            let draft = isDraftRow ? drafts[drafts.startIndex + row] : -1
            if let grammar { grammar.fillMask(&grammarMask) }
            var token = SampledToken(token: -1, logprob: nil, topLogprobs: [])
            var isAccepted = false
            withAllowedTokens(grammar != nil) { allowed in
                if usesRejection, isDraftRow, let q = draftModel?.distribution(of: id, draft: row) {
                    token = runner.withLogits(row: firstRow + row) { logits in
                        active[id]!.sampler.distribution(logits, into: &targetDistribution, allowedTokens: allowed)
                        let verdict = active[id]!.sampler.verify(
                            draft: draft, target: targetDistribution, draftDistribution: q, position: position)
                        if case .accepted = verdict { isAccepted = true }
                        return active[id]!.sampler.sampledToken(verdict.token, logits: logits)
                    }
                } else if active[id]!.isArgmaxOnly {
                    // What `sample` draws here, without the logits (the forward may not have made them).
                    token = SampledToken(token: runner.argmax(row: firstRow + row), logprob: nil, topLogprobs: [])
                    isAccepted = isDraftRow && token.token == draft
                } else {
                    token = runner.withLogits(row: firstRow + row) {
                        active[id]!.sampler.sample($0, position: position, allowedTokens: allowed)
                    }
                    isAccepted = isDraftRow && token.token == draft
                }
            }
            if grammar != nil, !grammar!.accept(token: token.token) {
                // The mask allowed it, so this is a bug in the grammar engine; the row's token still stands.
                logger.error("sequence \(id): grammar refused token \(token.token) it allowed")
            }
            active[id]!.sampler.accept(token.token)
            sampled.append(token)
            guard isAccepted else { break }
        }
        active[id]!.grammar = grammar
        return sampled
    }

    /// Runs `body` with the grammar mask's words when `isConstrained`, else with nil (no mask, no cost).
    private func withAllowedTokens(_ isConstrained: Bool, _ body: (UnsafeBufferPointer<UInt64>?) -> Void) {
        guard isConstrained else { return body(nil) }
        grammarMask.words.withUnsafeBufferPointer { body($0) }
    }

    /// Streams a step's kept tokens, one delta each (as without speculation), and the finish if it came. A
    /// client that has fallen `maxBufferedEvents` behind gets nothing more: the step fails its sequence (see
    /// `ActiveSequence.isOverflowing`).
    private func publish(_ id: SequenceID, _ accepted: SequenceOutput.Accepted, _ sampled: [SampledToken]) {
        let sequence = active[id]!
        for (piece, token) in zip(accepted.pieces, sampled) {
            let generated = GeneratedToken(
                token: token.token, text: tokenizer.decode([token.token], skipSpecialTokens: false),
                logprob: sequence.wantsLogprobs ? token.logprob : nil, topLogprobs: token.topLogprobs)
            let result = sequence.continuation.yield(.delta(text: piece, tokens: [generated]))
            if case .enqueued(let remaining) = result, remaining > ActiveSequence.reservedEvents { continue }
            if case .terminated = result { return }
            active[id]!.isOverflowing = true
            return
        }
        guard let reason = accepted.finishReason else { return }
        if !accepted.tail.isEmpty { sequence.continuation.yield(.delta(text: accepted.tail, tokens: [])) }
        sequence.continuation.yield(.finished(reason, sequence.usage))
        sequence.continuation.finish()
        recordFinish(sequence, reason: reason)
    }

    /// Sequences the plan runs for the first time stop counting against the waiting bound.
    private func markStarted(_ plan: StepPlan) {
        let now = clock.now()
        var count = 0
        for chunk in plan.chunks where active[chunk.id]?.hasStarted == false {
            active[chunk.id]!.hasStarted = true
            active[chunk.id]!.numCachedPromptTokens = chunk.numCachedTokens
            metrics.queueTime.record(seconds: now - active[chunk.id]!.arrivalTime)
            count += 1
        }
        inbox.markStarted(count)
    }

    private func recordTokenTiming(_ id: SequenceID, numTokens: Int) {
        let now = clock.now()
        if let last = active[id]!.lastTokenTime {
            metrics.interTokenLatency.record(seconds: now - last)
        } else {
            metrics.timeToFirstToken.record(seconds: now - active[id]!.arrivalTime)
        }
        active[id]!.lastTokenTime = now
        metrics.generationTokens.increment(by: numTokens)
    }

    /// Forgets a sequence whose stream `publish` finished (the commit freed its blocks).
    private func close(_ id: SequenceID) {
        draftModel?.remove(id)
        guard let sequence = active.removeValue(forKey: id) else { return }
        if !sequence.hasStarted { inbox.markStarted(1) }
    }

    /// Ends sequence `id` with `failure` (a forward failure, a shutdown that could not wait): frees it in the
    /// scheduler and sends `.failed` as its last event. Text held back for stop strings is dropped with it.
    private func fail(_ id: SequenceID, _ failure: GenerationFailure) {
        _ = scheduler.finish(id, reason: .cancelled)
        draftModel?.remove(id)
        guard let sequence = active.removeValue(forKey: id) else { return }
        if !sequence.hasStarted { inbox.markStarted(1) }
        sequence.continuation.yield(.failed(failure))
        sequence.continuation.finish()
        metrics.failures.increment()
    }

    private func recordFinish(_ sequence: ActiveSequence, reason: GenerationFinishReason) {
        metrics.promptTokens.increment(by: sequence.numPromptTokens)
        metrics.e2eLatency.record(seconds: clock.now() - sequence.arrivalTime)
        (reason == .stop ? metrics.successStop : metrics.successLength).increment()
    }

    /// Shutdown without draining: every sequence fails now.
    private func failAll(_ failure: GenerationFailure) {
        for id in Array(active.keys).sorted() { fail(id, failure) }
    }

    private func publishStats() {
        let stats = scheduler.stats
        metrics.record(stats, previous: lastStats)
        lastStats = stats
        inbox.publish(stats)
    }
}
