extension Scheduler {
    /// Applies a step's results: advances each chunk's sequence past the tokens it ran, appends
    /// `sampled[id]` for each chunk with `needsLogits`, and finishes sequences that reach maxNewTokens
    /// (reason `.length`, blocks freed). Returns events in chunk order, `.token` before its `.finished`.
    ///
    /// Robust to an engine that raced with `finish`: chunks of sequences no longer running, or whose cache
    /// no longer matches the plan, are skipped. A `needsLogits` chunk without a sampled token keeps its last
    /// token uncached, so the next plan runs it again instead of losing the sequence.
    public mutating func commit(_ plan: StepPlan, sampled: [SequenceID: Int]) -> [SequenceEvent] {
        var events: [SequenceEvent] = []
        for chunk in plan.chunks {
            let id = chunk.id
            guard let sequence = sequences[id], sequence.isRunning,
                sequence.numCachedTokens == chunk.numCachedTokens,
                chunk.numCachedTokens + chunk.tokens.count <= sequence.tokens.count
            else { continue }
            let end = chunk.numCachedTokens + chunk.tokens.count
            // Mutated in place through the dictionary so `tokens` is never copied.
            guard chunk.needsLogits else {
                sequences[id]!.numCachedTokens = end
                continue
            }
            guard let token = sampled[id] else {
                sequences[id]!.numCachedTokens = end - 1
                continue
            }
            sequences[id]!.numCachedTokens = end
            sequences[id]!.tokens.append(token)
            events.append(.token(id, token))
            if sequences[id]!.numGeneratedTokens >= sequence.maxNewTokens, let finished = finish(id, reason: .length) {
                events.append(finished)
            }
        }
        return events
    }
}
