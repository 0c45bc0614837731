/// One sequence's part of a ragged batch: its new tokens continue after `numCachedTokens`
/// tokens already in the KV cache.
public struct SequenceChunk: Sendable, Equatable {
    public var tokens: [Int]
    public var numCachedTokens: Int
    /// Blocks holding this sequence's KV, covering at least `numCachedTokens + tokens.count` positions.
    public var blockTable: [Int]
    /// Indices into `tokens` whose next-token logits are wanted (usually the last one, or none mid-prefill).
    public var logitIndices: [Int]

    public init(tokens: [Int], numCachedTokens: Int, blockTable: [Int], logitIndices: [Int]) {
        self.tokens = tokens
        self.numCachedTokens = numCachedTokens
        self.blockTable = blockTable
        self.logitIndices = logitIndices
    }
}

/// Tokens of several sequences at different positions, run in one forward call.
public struct ForwardBatch: Sendable, Equatable {
    public var sequences: [SequenceChunk]

    public init(_ sequences: [SequenceChunk]) { self.sequences = sequences }

    public var numTokens: Int { sequences.reduce(0) { $0 + $1.tokens.count } }
    public var numLogitRows: Int { sequences.reduce(0) { $0 + $1.logitIndices.count } }
}
