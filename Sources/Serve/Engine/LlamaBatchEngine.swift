import Foundation
import Logging
import Metrics
import Model
import Scheduler
import Synchronization
import Tokenizer

/// The real `GenerationEngine`: continuous batching of many sequences over one model, on a dedicated
/// thread (never Swift's cooperative pool or the NIO event loops). `generate` only queues; the thread
/// repeats plan → forward → sample → commit → publish (`EngineLoop`) and sleeps when idle.
///
/// Lifecycle: create once at startup, share it (it is Sendable), call `shutdown` before exit.
final class LlamaBatchEngine: GenerationEngine {
    let model: LlamaModel
    let config: EngineConfig
    /// The scheduler's limits, with the KV pool sized from `config.kvCacheMemoryBytes`.
    let schedulerConfig: SchedulerConfig
    /// What one request may occupy: the model's context, or the whole KV pool if that is smaller.
    let limits: RequestLimits
    private let inbox: EngineInbox
    private let clock = EngineClock()
    private let nextID = Atomic<Int>(0)

    /// Starts the engine thread.
    /// - Parameters:
    ///   - metricsFactory: where the metrics of `EngineMetrics` are created (e.g. a
    ///     `PrometheusMetricsFactory`); no-op by default.
    init(
        model: LlamaModel, tokenizer: Tokenizer, config: EngineConfig = EngineConfig(), draftModel: LlamaModel? = nil,
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance,
        logger: Logger = Logger(label: "serve.engine"), faults: EngineFaults? = nil
    ) {
        self.model = model
        self.config = config
        let schedulerConfig = config.schedulerConfig(for: model.config)
        self.schedulerConfig = schedulerConfig
        limits = RequestLimits(maxModelLen: min(model.config.maxPositionEmbeddings, schedulerConfig.maxSequenceTokens))
        let inbox = EngineInbox(maxWaitingRequests: config.scheduler.maxWaitingRequests)
        self.inbox = inbox
        let metrics = EngineMetrics(
            factory: metricsFactory, bucketEdges: schedulerConfig.bucketEdges,
            maxDraftTokens: config.speculation.maxDraftTokens)
        let clock = clock
        logger.info(
            "engine: \(schedulerConfig.numBlocks) KV blocks of \(schedulerConfig.blockSize) tokens, K/V as \(config.kvCacheDType.rawValue)\(config.kvCachePrefault ? " (mapped up front)" : ""), max \(schedulerConfig.maxNumSeqs) sequences, prefix caching \(schedulerConfig.enablePrefixCaching ? "on" : "off"), \(schedulerConfig.maxNumBatchedTokens) tokens per step, prompts over \(schedulerConfig.longPrefillTokenThreshold) tokens prefill \(schedulerConfig.longPrefillChunkTokens) per step beside decodes; speculation \(config.speculation.mode.rawValue), up to \(config.speculation.maxDraftTokens) drafts per sequence")
        let thread = Thread {
            // Named from inside: on Linux a name set before `start()` is not visible to `Thread.current`.
            Thread.current.name = "llm-engine"
            let loop = EngineLoop(
                model: model, tokenizer: tokenizer, schedulerConfig: schedulerConfig, kvCacheDType: config.kvCacheDType,
                prefaultCache: config.kvCachePrefault,
                speculation: config.speculation, draftModel: draftModel, inbox: inbox,
                metrics: metrics, clock: clock, logger: logger, maxBufferedEvents: config.maxBufferedEvents, faults: faults)
            loop.run()
            inbox.markExited()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    deinit {
        // Without this the thread would sleep forever; it drains what was accepted, then exits.
        inbox.shutdown(.drain)
    }

    func generate(_ request: GenerationRequest) throws(EngineError) -> AsyncStream<GenerationEvent> {
        let numPrompt = request.promptTokens.count
        let maxTokens = max(0, request.maxTokens)
        do {
            try limits.check(numPromptTokens: numPrompt, maxTokens: maxTokens)
        } catch {
            throw .limitExceeded(error)
        }

        let (stream, continuation) = AsyncStream<GenerationEvent>.makeStream(
            bufferingPolicy: .bufferingOldest(config.maxBufferedEvents + ActiveSequence.reservedEvents))
        guard maxTokens > 0 else {
            // Nothing to generate (e.g. echo with max_tokens 0): no need to involve the thread.
            guard !inbox.isShuttingDown else { throw EngineError.shuttingDown }
            continuation.yield(.finished(.length, GenerationUsage(promptTokens: numPrompt, completionTokens: 0)))
            continuation.finish()
            return stream
        }
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let inbox = self.inbox
        continuation.onTermination = { termination in
            if case .cancelled = termination { inbox.cancel(id) }
        }
        do {
            try inbox.submit(
                Submission(id: id, request: request, continuation: continuation, arrivalTime: clock.now()))
        } catch {
            continuation.onTermination = nil
            continuation.finish()
            throw error
        }
        return stream
    }

    /// The scheduler's state after the last step (nil before the first); for /metrics and tests.
    var stats: SchedulerStats? { inbox.stats }

    /// Starts a graceful shutdown without waiting: `generate` throws `.shuttingDown` from now on, accepted requests
    /// go on, and those still running after `config.shutdownGraceSeconds` end with a `.failed(.shuttingDown)` event.
    /// Idempotent.
    func beginShutdown() {
        guard inbox.shutdown(.drain) else { return }
        let inbox = self.inbox
        DispatchQueue.global().asyncAfter(deadline: .now() + config.shutdownGraceSeconds) { inbox.shutdown(.cancelInFlight) }
    }

    /// Suspends (without blocking a cooperative thread) until the engine thread has exited.
    func exited() async {
        let inbox = self.inbox
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                inbox.waitUntilExited()
                continuation.resume()
            }
        }
    }

    /// Stops accepting requests (`generate` throws `.shuttingDown`), finishes the accepted ones — normally,
    /// or at once with a `.failed(.shuttingDown)` event when `cancelInFlight` — and waits for the engine thread to end.
    /// Blocks the caller: call it from a thread or task that may block.
    func shutdown(cancelInFlight: Bool = false) {
        inbox.shutdown(cancelInFlight ? .cancelInFlight : .drain)
        inbox.waitUntilExited()
    }
}
