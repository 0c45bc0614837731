extension Scheduler {
    /// Applies a step's results. A chunk without logits (mid-prefill) just advances the cache. A chunk with
    /// logits takes `results[id]`: its first `tokens.count - 1` tokens must be the leading drafts of the chunk
    /// (accepted), the last one is new; the cache advances past the chunk's real tokens and the accepted drafts
    /// (KV of rejected drafts stays in the blocks and is overwritten later), every result token is appended, and
    /// blocks beyond what the sequence now needs go back to the pool. A result with a finish reason ends the
    /// sequence. Returns `.token` events for appended tokens and `.finished` events, in chunk order.
    ///
    /// Robust to an engine that raced with `finish`: chunks of sequences no longer running, or whose cache
    /// no longer matches the plan, are skipped. A logits chunk without a result (or with tokens that contradict
    /// its drafts) keeps its last real token uncached, so the next plan runs it again instead of losing it.
    @discardableResult
    public mutating func commit(_ plan: StepPlan, results: [SequenceID: ChunkResult]) -> [SequenceEvent] {
        var events: [SequenceEvent] = []
        for chunk in plan.chunks {
            let id = chunk.id
            let numRealTokens = chunk.tokens.count - chunk.numDraftTokens
            guard let sequence = sequences[id], sequence.isRunning,
                sequence.numCachedTokens == chunk.numCachedTokens,
                chunk.numCachedTokens + numRealTokens <= sequence.tokens.count
            else { continue }
            let realEnd = chunk.numCachedTokens + numRealTokens
            // Mutated in place through the dictionary so `tokens` is never copied.
            guard chunk.needsLogits else {
                sequences[id]!.numCachedTokens = realEnd
                publishFinalBlocks(id)
                continue
            }
            guard let result = results[id], let accepted = acceptedDrafts(of: chunk, in: result) else {
                sequences[id]!.numCachedTokens = realEnd - 1
                publishFinalBlocks(id)
                continue
            }
            let numNewTokens = min(result.tokens.count, sequence.maxNewTokens - sequence.numGeneratedTokens)
            sequences[id]!.numCachedTokens = realEnd + min(accepted, numNewTokens)
            sequences[id]!.tokens.append(contentsOf: result.tokens.prefix(numNewTokens))
            for token in result.tokens.prefix(numNewTokens) { events.append(.token(id, token)) }
            // The engine ends a sequence at its token limit; should it not, the limit still holds here.
            publishFinalBlocks(id)
            let reason = result.finishReason ?? (sequences[id]!.numGeneratedTokens >= sequence.maxNewTokens ? .length : nil)
            if let reason {
                if let finished = finish(id, reason: reason) { events.append(finished) }
            } else {
                releaseBlocksBeyondNextToken(id)
            }
        }
        return events
    }

    /// How many drafts `result` accepts (its tokens but the last), or nil if they are not the chunk's drafts.
    private func acceptedDrafts(of chunk: ScheduledChunk, in result: ChunkResult) -> Int? {
        guard let numAccepted = result.tokens.count > 0 ? result.tokens.count - 1 : nil,
            numAccepted <= chunk.numDraftTokens,
            result.tokens.prefix(numAccepted).elementsEqual(chunk.draftTokens.prefix(numAccepted))
        else { return nil }
        return numAccepted
    }

    /// Offers the prefix cache each block `id`'s cache now fills with final tokens: its cached positions are
    /// its real tokens and accepted drafts, never a rejected draft, so a published block never changes.
    private mutating func publishFinalBlocks(_ id: SequenceID) {
        let numFull = sequences[id]!.numCachedTokens / config.blockSize
        let first = sequences[id]!.numFinalBlocks
        guard numFull > first else { return }
        let hashes = sequences[id]!.blockHashes(count: numFull, blockSize: config.blockSize)
        for index in first..<numFull { pool.publish(sequences[id]!.blockTable[index], as: hashes[index]) }
        sequences[id]!.numFinalBlocks = numFull
    }

    /// A decode's table needs to cover its next position only; blocks taken for drafts past it are returned.
    private mutating func releaseBlocksBeyondNextToken(_ id: SequenceID) {
        let needed = pool.blocksNeeded(numTokens: sequences[id]!.numCachedTokens + 1)
        pool.release(&sequences[id]!.blockTable, keeping: needed)
    }
}
