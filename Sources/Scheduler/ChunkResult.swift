/// What the engine decided for one sequence after a step: the tokens that join it and whether it ended.
/// The engine is the one place that decides acceptance and stopping (eos, stop ids, stop strings, max tokens);
/// the scheduler only applies the decision to the cache and the blocks.
public struct ChunkResult: Sendable, Equatable {
    /// New tokens, in order: the accepted prefix of the chunk's drafts, then the token sampled after them.
    /// Empty for a chunk whose logits were not used (it is run again next step).
    public var tokens: [Int]
    /// Set when the sequence ends with this step; its blocks are freed by `commit`.
    public var finishReason: FinishReason?

    public init(tokens: [Int], finishReason: FinishReason? = nil) {
        self.tokens = tokens
        self.finishReason = finishReason
    }
}
