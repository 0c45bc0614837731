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

/// The engine step — drain the inbox → plan → forward → sample → commit → publish — and the state only
/// the engine thread touches: scheduler, model runner (KV cache + scratch), active sequences.
/// Not Sendable: created on the engine thread and never leaves it.
final class EngineLoop {
    private var scheduler: Scheduler
    private let runner: ModelRunner
    private let tokenizer: Tokenizer
    private let inbox: EngineInbox
    private let metrics: EngineMetrics
    private let clock: EngineClock
    private let logger: Logger
    private var active: [SequenceID: ActiveSequence] = [:]
    private var numPreemptionsSeen = 0

    init(
        model: LlamaModel, tokenizer: Tokenizer, schedulerConfig: SchedulerConfig, inbox: EngineInbox,
        metrics: EngineMetrics, clock: EngineClock, logger: Logger
    ) {
        scheduler = Scheduler(config: schedulerConfig)
        runner = ModelRunner(
            model: model, numBlocks: schedulerConfig.numBlocks, blockSize: schedulerConfig.blockSize)
        self.tokenizer = tokenizer
        self.inbox = inbox
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
    }

    /// Steps until shut down and out of work.
    func run() {
        while true {
            let mail = inbox.takeMail()
            receive(mail)
            if mail.shutdown == .cancelInFlight { endAll(reason: .length) }
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
            submission.continuation.yield(
                .finished(.length, GenerationUsage(promptTokens: request.promptTokens.count, completionTokens: 0)))
            submission.continuation.finish()
            return false
        }
        active[submission.id] = ActiveSequence(
            continuation: submission.continuation,
            numPromptTokens: request.promptTokens.count,
            stopTokenIds: request.stopTokenIds,
            wantsLogprobs: request.sampling.numTopLogprobs != nil,
            sampler: Sampler(params: request.sampling, promptTokens: request.promptTokens),
            output: SequenceOutput(
                tokenizer: tokenizer, stopStrings: request.stopStrings, skipSpecialTokens: request.skipSpecialTokens),
            arrivalTime: submission.arrivalTime)
        return true
    }

    // MARK: Step

    /// One engine step; false if the plan was empty.
    private func step() -> Bool {
        let plan = scheduler.plan(now: clock.now())
        guard !plan.isEmpty else {
            publishStats()
            return false
        }
        markStarted(plan)

        let batch = ForwardBatch(plan.chunks)
        do {
            try runner.forward(batch)
        } catch {
            // The scheduler only plans valid batches; if the model disagrees, end these sequences rather
            // than retrying the same batch forever.
            logger.error("forward failed: \(error); ending \(plan.chunks.count) sequences")
            for chunk in plan.chunks { end(chunk.id, reason: .length) }
            publishStats()
            return true
        }

        let now = clock.now()
        var sampled: [SequenceID: Int] = [:]
        var sampledDetails: [SequenceID: SampledToken] = [:]
        var row = 0
        for chunk in plan.chunks where chunk.needsLogits {
            defer { row += 1 }
            let id = chunk.id
            guard active[id] != nil else { continue }
            let position = active[id]!.numGeneratedTokens
            let token = runner.withLogits(row: row) { active[id]!.sampler.sample($0, position: position) }
            active[id]!.sampler.accept(token.token)
            recordTokenTiming(id, now: now)
            if active[id]!.stopTokenIds.contains(token.token) {
                // eos: not emitted, but counted in usage as vLLM does.
                end(id, reason: .stop)
            } else {
                sampled[id] = token.token
                sampledDetails[id] = token
            }
        }

        for event in scheduler.commit(plan, sampled: sampled) {
            switch event {
            case .token(let id, let token):
                guard let details = sampledDetails[id] else { continue }
                publishToken(id, token: token, details: details)
            case .finished(let id, let reason):
                switch reason {
                case .stop: end(id, reason: .stop, alreadyFinished: true)
                case .length: end(id, reason: .length, alreadyFinished: true)
                case .cancelled: end(id, reason: nil, alreadyFinished: true)
                }
            }
        }
        publishStats()
        return true
    }

    /// Sequences the plan runs for the first time stop counting against the waiting bound.
    private func markStarted(_ plan: StepPlan) {
        let now = clock.now()
        var count = 0
        for chunk in plan.chunks where active[chunk.id]?.hasStarted == false {
            active[chunk.id]!.hasStarted = true
            metrics.queueTime.record(seconds: now - active[chunk.id]!.arrivalTime)
            count += 1
        }
        inbox.markStarted(count)
    }

    private func recordTokenTiming(_ id: SequenceID, now: Double) {
        let sequence = active[id]!
        if let last = sequence.lastTokenTime {
            metrics.interTokenLatency.record(seconds: now - last)
        } else {
            metrics.timeToFirstToken.record(seconds: now - sequence.arrivalTime)
        }
        active[id]!.lastTokenTime = now
        active[id]!.numGeneratedTokens += 1
        metrics.generationTokens.increment()
    }

    /// Streams one committed token; ends the sequence if its text reached a stop string.
    private func publishToken(_ id: SequenceID, token: Int, details: SampledToken) {
        guard var sequence = active[id] else { return }
        let text = sequence.output.append(token)
        let generated = GeneratedToken(
            token: token, text: tokenizer.decode([token], skipSpecialTokens: false),
            logprob: sequence.wantsLogprobs ? details.logprob : nil, topLogprobs: details.topLogprobs)
        sequence.continuation.yield(.delta(text: text, tokens: [generated]))
        let isStopped = sequence.output.isStopped
        active[id] = sequence
        if isStopped { end(id, reason: .stop) }
    }

    /// Ends sequence `id`: frees it in the scheduler (unless `alreadyFinished`), flushes held-back text and
    /// sends `.finished`. `reason` nil = cancelled: the stream just ends.
    private func end(_ id: SequenceID, reason: GenerationFinishReason?, alreadyFinished: Bool = false) {
        if !alreadyFinished {
            _ = scheduler.finish(id, reason: reason == .stop ? .stop : reason == .length ? .length : .cancelled)
        }
        guard var sequence = active.removeValue(forKey: id) else { return }
        if !sequence.hasStarted { inbox.markStarted(1) }
        guard var reason else {
            sequence.continuation.finish()
            return
        }
        let tail = sequence.output.finish()
        if sequence.output.isStopped { reason = .stop }
        if !tail.isEmpty { sequence.continuation.yield(.delta(text: tail, tokens: [])) }
        sequence.continuation.yield(.finished(reason, sequence.usage))
        sequence.continuation.finish()

        metrics.promptTokens.increment(by: sequence.numPromptTokens)
        metrics.e2eLatency.record(seconds: clock.now() - sequence.arrivalTime)
        (reason == .stop ? metrics.successStop : metrics.successLength).increment()
    }

    /// Shutdown without draining: every sequence ends now.
    private func endAll(reason: GenerationFinishReason) {
        for id in Array(active.keys).sorted() { end(id, reason: reason) }
    }

    private func publishStats() {
        let stats = scheduler.stats
        metrics.record(stats, numNewPreemptions: stats.numPreemptionsTotal - numPreemptionsSeen)
        numPreemptionsSeen = stats.numPreemptionsTotal
        inbox.publish(stats)
    }
}
