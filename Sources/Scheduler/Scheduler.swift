/// Iteration-level continuous batching over a paged KV pool, as a deterministic value-type state machine.
///
/// The engine loop: `let plan = scheduler.plan(now:drafts:)` → one ragged forward over `plan.chunks` → verify
/// drafts and sample for each chunk with logits, decide what is accepted and what finished →
/// `scheduler.commit(plan, results:)`. At any time the engine may `finish(_:reason:)` a sequence (client gone). Time is passed in,
/// never read, so every behaviour is reproducible in tests.
///
/// Life of a sequence: waiting (bucketed by prompt length) → admitted (blocks for its whole prompt
/// allocated, starting with the cached blocks of its longest cached prefix) → prefilling the rest in chunks → decoding one token per step (more when drafts are accepted) → finished (blocks freed in the same
/// call). A running sequence may be preempted back to the front of the waiting queue when a decode needs a
/// block and none is free; it is then recomputed from prompt + generated tokens (from the cache, as far as its
/// blocks survived). Each block full of final tokens is published to the prefix cache at the commit that fills it.
public struct Scheduler: Sendable {
    public let config: SchedulerConfig
    /// The KV pool: reference counts and free blocks; block tables live in the sequences.
    public internal(set) var pool: BlockPool
    var sequences: [SequenceID: SequenceState] = [:]
    /// Running sequences in admission order, oldest first; the last one is the preemption victim.
    var running: [SequenceID] = []
    var waiting: WaitingQueue
    var nextAddOrder = 0
    var numPreemptionsTotal = 0
    var lastStepPaddingRatio = 0.0
    /// Tokens admissions asked the prefix cache for, and found there (vLLM's prefix-cache queries and hits).
    var numPrefixCacheQueryTokens = 0
    var numPrefixCacheHitTokens = 0

    public init(config: SchedulerConfig) {
        self.config = config
        pool = BlockPool(numBlocks: config.numBlocks, blockSize: config.blockSize, isCaching: config.enablePrefixCaching)
        waiting = WaitingQueue(numBuckets: config.numBuckets)
    }

    /// Queues a request. Nothing changes when it throws.
    ///
    /// A request is refused with `.promptTooLong` when `prompt + maxNewTokens` exceeds the whole pool
    /// (`numBlocks * blockSize`): such a sequence could not finish even running alone, and admitting it would
    /// be the only way the scheduler could deadlock. (Strictly it needs one token less, since the last
    /// sampled token never enters the cache; the round bound is easier to explain to a user.)
    public mutating func add(_ request: SequenceRequest) throws(SchedulerError) {
        guard sequences[request.id] == nil else { throw .duplicateID(request.id) }
        guard !request.promptTokens.isEmpty else { throw .emptyPrompt(request.id) }
        guard request.maxNewTokens >= 1 else { throw .invalidMaxNewTokens(request.maxNewTokens) }
        let (numTokens, overflow) = request.promptTokens.count.addingReportingOverflow(request.maxNewTokens)
        guard !overflow, numTokens <= config.maxSequenceTokens else {
            throw .promptTooLong(numTokens: overflow ? Int.max : numTokens, maxTokens: config.maxSequenceTokens)
        }
        guard waiting.count < config.maxWaitingRequests else { throw .queueFull(limit: config.maxWaitingRequests) }

        let sequence = SequenceState(request: request, addOrder: nextAddOrder)
        nextAddOrder += 1
        sequences[request.id] = sequence
        waiting.enqueue(entry(for: sequence))
    }

    /// Ends a sequence now, wherever it is (waiting, mid-prefill or decoding), and frees its blocks (those it
    /// published stay cached).
    /// Returns `.finished(id, reason)`, or nil if `id` is unknown (already finished, never added).
    /// A plan made before this call may still hold a chunk for `id`; `commit` ignores it.
    public mutating func finish(_ id: SequenceID, reason: FinishReason) -> SequenceEvent? {
        guard var sequence = sequences.removeValue(forKey: id) else { return nil }
        if sequence.isRunning {
            running.removeAll { $0 == id }
            pool.free(&sequence.blockTable)
        } else {
            waiting.remove(id)
        }
        return .finished(id, reason)
    }

    /// True while any sequence is waiting or running.
    public var hasWork: Bool { !sequences.isEmpty }

    public var stats: SchedulerStats {
        SchedulerStats(
            numRunning: running.count,
            numWaiting: waiting.count,
            numFreeBlocks: pool.numFreeBlocks,
            numTotalBlocks: pool.numBlocks,
            numCachedBlocks: pool.numCachedBlocks,
            numPreemptionsTotal: numPreemptionsTotal,
            numPrefixCacheQueryTokens: numPrefixCacheQueryTokens,
            numPrefixCacheHitTokens: numPrefixCacheHitTokens,
            numEvictedBlocksTotal: pool.numEvictions,
            waitingPerBucket: waiting.histogram,
            lastStepPaddingRatio: lastStepPaddingRatio
        )
    }

    /// Running sequence ids, oldest admission first.
    public var runningIDs: [SequenceID] { running }
    /// Running sequences past their prefill, oldest first: the next plan gives each a decode chunk (unless
    /// the pool forces a preemption), so these are the ones worth drafting for.
    public var decodingIDs: [SequenceID] { running.filter { sequences[$0]?.isPrefilling == false } }
    /// Waiting sequence ids: preempted first, then by arrival (ignoring buckets).
    public var waitingIDs: [SequenceID] { waiting.ids }

    /// Tokens still to prefill: the rest of running prefills and every waiting sequence's tokens.
    public var numTokensAwaitingPrefill: Int {
        sequences.values.reduce(0) { total, sequence in
            total + (sequence.isRunning ? max(0, sequence.numPrefillTokens - sequence.numCachedTokens) : sequence.tokens.count)
        }
    }

    /// The KV blocks `id` holds now (empty while waiting), or nil if unknown.
    public func blockTable(of id: SequenceID) -> [Int]? { sequences[id]?.blockTable }
    /// Tokens generated for `id` so far (kept across preemption), or nil if unknown.
    public func numGeneratedTokens(of id: SequenceID) -> Int? { sequences[id]?.numGeneratedTokens }

    func entry(for sequence: SequenceState) -> WaitingQueue.Entry {
        WaitingQueue.Entry(
            id: sequence.id,
            arrivalTime: sequence.arrivalTime,
            addOrder: sequence.addOrder,
            bucket: config.bucketIndex(numTokens: sequence.tokens.count)
        )
    }
}
