extension Scheduler {
    /// Plans the next step within `maxNumSeqs` and `maxNumBatchedTokens`:
    /// 1. one decode token for every decoding sequence, oldest first. When its next position needs a block
    ///    and none is free, the newest running sequence not yet scheduled this step is preempted (possibly
    ///    this one itself), until the block fits;
    /// 2. the next chunk of every sequence mid-prefill, oldest first, as large as the remaining budget allows
    ///    (a long prefill beside decodes: at most `longPrefillChunkTokens`);
    /// 3. admissions from the waiting queue (see `WaitingQueue.next`), each allocated blocks for its whole
    ///    prompt — the cached blocks of its longest cached prefix, then fresh ones — and scheduled for its first
    ///    uncached chunk. No admissions in a step that preempted: the pool is short.
    /// 4. draft tokens (speculative decoding) from `drafts` for the decodes, oldest first, as many as the
    ///    budget left by prefills, the free blocks (drafts never preempt) and the sequence's remaining tokens allow.
    /// An admission whose blocks are not free stops admission for this step (no skipping ahead, so long
    /// prompts are not starved by short ones).
    public mutating func plan(now: Double, drafts: [SequenceID: [Int]] = [:]) -> StepPlan {
        var budget = config.maxNumBatchedTokens
        var chunks: [ScheduledChunk] = []
        var scheduled = Set<SequenceID>()
        var preempted: [SequenceID] = []

        // 1. Decodes.
        for id in running where budget > 0 {
            guard let sequence = sequences[id], sequence.isRunning, !sequence.isPrefilling else { continue }
            let numTokensAfter = sequence.numCachedTokens + 1
            var preemptedSelf = false
            while !pool.canAppend(sequence.blockTable, toCover: numTokensAfter) {
                // Self is running and unscheduled, so a victim always exists.
                guard let victim = running.last(where: { !scheduled.contains($0) }) else { break }
                preempt(victim)
                preempted.append(victim)
                if victim == id {
                    preemptedSelf = true
                    break
                }
            }
            guard !preemptedSelf, pool.mayAppend(&sequences[id]!.blockTable, toCover: numTokensAfter) else {
                continue
            }
            chunks.append(nextChunk(id, maxTokens: 1))
            scheduled.insert(id)
            budget -= 1
        }

        // 2. Ongoing chunked prefills; their blocks were allocated at admission.
        let numDecodes = chunks.count
        for id in running where budget > 0 && !scheduled.contains(id) {
            guard let sequence = sequences[id], sequence.isPrefilling else { continue }
            let chunk = nextChunk(id, maxTokens: prefillChunkLimit(id, budget: budget, numDecodes: numDecodes))
            chunks.append(chunk)
            scheduled.insert(id)
            budget -= chunk.tokens.count
        }

        // 3. Admissions.
        var chosenBucket: Int?
        while preempted.isEmpty, budget > 0, running.count < config.maxNumSeqs,
            let entry = waiting.next(now: now, maxWaitSeconds: config.maxWaitSeconds, chosenBucket: &chosenBucket),
            let (table, numCachedBlocks) = allocateForAdmission(entry.id)
        {
            waiting.remove(entry.id)
            admit(entry.id, blockTable: table, numCachedBlocks: numCachedBlocks)
            let chunk = nextChunk(entry.id, maxTokens: prefillChunkLimit(entry.id, budget: budget, numDecodes: numDecodes))
            chunks.append(chunk)
            scheduled.insert(entry.id)
            budget -= chunk.tokens.count
        }

        // 4. Drafts, in what budget prefills left: speculation never delays a prompt.
        if !drafts.isEmpty {
            for index in 0..<numDecodes where budget > 0 {
                guard let draft = drafts[chunks[index].id], !draft.isEmpty else { continue }
                attachDraft(draft, to: &chunks[index], budget: &budget)
            }
        }

        let plan = StepPlan(chunks: chunks, preempted: preempted)
        lastStepPaddingRatio = plan.paddingRatio
        return plan
    }

    /// Tokens the running prefill `id` may take this step: the remaining budget, capped for a long prefill while
    /// `numDecodes` sequences decode (a step's time grows with its tokens; theirs is the next inter-token gap).
    private func prefillChunkLimit(_ id: SequenceID, budget: Int, numDecodes: Int) -> Int {
        let isLong = sequences[id]!.numPrefillTokens > config.longPrefillTokenThreshold
        return isLong && numDecodes > 0 ? min(budget, config.longPrefillChunkTokens) : budget
    }

    /// Appends the longest prefix of `draft` that fits: the budget, the blocks free now, and the sequence's
    /// remaining tokens (the step yields one token more than its accepted drafts, so at most `remaining - 1`).
    private mutating func attachDraft(_ draft: [Int], to chunk: inout ScheduledChunk, budget: inout Int) {
        let sequence = sequences[chunk.id]!
        let remaining = sequence.maxNewTokens - sequence.numGeneratedTokens
        var count = min(draft.count, budget, remaining - 1)
        while count > 0,
            !pool.canAppend(sequence.blockTable, toCover: chunk.numCachedTokens + chunk.tokens.count + count)
        {
            count -= 1
        }
        guard count > 0 else { return }
        let numPositions = chunk.numCachedTokens + chunk.tokens.count + count
        pool.mayAppend(&sequences[chunk.id]!.blockTable, toCover: numPositions)
        chunk.tokens.append(contentsOf: draft.prefix(count))
        chunk.blockTable = sequences[chunk.id]!.blockTable
        chunk.logitIndices = Array(0...count)
        chunk.numDraftTokens = count
        budget -= count
    }

    /// The next at most `maxTokens` uncached tokens of running sequence `id`.
    private func nextChunk(_ id: SequenceID, maxTokens: Int) -> ScheduledChunk {
        let sequence = sequences[id]!
        let isPrefill = sequence.isPrefilling
        // A prefill runs up to the end of this admission's prompt; a decode feeds the last sampled token.
        let end = isPrefill ? sequence.numPrefillTokens : sequence.tokens.count
        let start = sequence.numCachedTokens
        let stop = min(end, start + maxTokens)
        return ScheduledChunk(
            id: id,
            tokens: Array(sequence.tokens[start..<stop]),
            numCachedTokens: start,
            blockTable: sequence.blockTable,
            logitIndices: stop == end ? [stop - start - 1] : [],
            isPrefill: isPrefill
        )
    }

    /// Blocks for all of waiting `id`'s tokens, led by the cached blocks of their longest cached prefix, or
    /// nil if the pool is short. At least one token is left to compute: its row gives the first logits.
    private mutating func allocateForAdmission(_ id: SequenceID) -> (table: [Int], numCachedBlocks: Int)? {
        let numTokens = sequences[id]!.tokens.count
        let maxCachedBlocks = pool.isCaching ? (numTokens - 1) / config.blockSize : 0
        let hashes = sequences[id]!.blockHashes(count: maxCachedBlocks, blockSize: config.blockSize)
        let cached = pool.cachedPrefix(of: hashes)
        guard let table = pool.allocate(numTokens: numTokens, reusing: cached) else { return nil }
        return (table, cached.count)
    }

    /// `id` starts running with its first `numCachedBlocks` blocks already holding its KV.
    private mutating func admit(_ id: SequenceID, blockTable: [Int], numCachedBlocks: Int) {
        let numCachedTokens = numCachedBlocks * config.blockSize
        sequences[id]!.blockTable = blockTable
        sequences[id]!.isRunning = true
        sequences[id]!.numCachedTokens = numCachedTokens
        sequences[id]!.numFinalBlocks = numCachedBlocks
        sequences[id]!.numPrefillTokens = sequences[id]!.tokens.count
        running.append(id)
        if pool.isCaching {
            numPrefixCacheQueryTokens += sequences[id]!.tokens.count
            numPrefixCacheHitTokens += numCachedTokens
        }
    }

    /// Frees all of `id`'s blocks (those it published stay cached until evicted) and requeues it at the front of the waiting queue for recompute of
    /// prompt + generated tokens. Its generated count is kept, so maxNewTokens still holds. No event.
    private mutating func preempt(_ id: SequenceID) {
        guard var sequence = sequences[id], sequence.isRunning else { return }
        pool.free(&sequence.blockTable)
        sequence.isRunning = false
        sequence.numCachedTokens = 0
        sequence.numPrefillTokens = 0
        sequence.numFinalBlocks = 0
        sequences[id] = sequence
        running.removeAll { $0 == id }
        waiting.pushFront(entry(for: sequence))
        numPreemptionsTotal += 1
    }
}
