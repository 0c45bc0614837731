/// One sequence's work in a step: run `tokens` (a prompt chunk, or the one last sampled token) at positions
/// `numCachedTokens ..< numCachedTokens + tokens.count`, writing their KV into `blockTable`.
public struct ScheduledChunk: Sendable, Equatable {
    public var id: SequenceID
    public var tokens: [Int]
    /// Tokens of this sequence already in the KV cache (the position of `tokens[0]`).
    public var numCachedTokens: Int
    /// Physical KV blocks; position p lives in block `blockTable[p / blockSize]`, slot `p % blockSize`.
    /// Covers at least `numCachedTokens + tokens.count` positions.
    public var blockTable: [Int]
    /// True for a decode step and for the last chunk of a prompt: sample from the logits at `tokens.count - 1`.
    public var needsLogits: Bool
    public var isPrefill: Bool

    public init(
        id: SequenceID, tokens: [Int], numCachedTokens: Int, blockTable: [Int], needsLogits: Bool, isPrefill: Bool
    ) {
        self.id = id
        self.tokens = tokens
        self.numCachedTokens = numCachedTokens
        self.blockTable = blockTable
        self.needsLogits = needsLogits
        self.isPrefill = isPrefill
    }
}

/// The work of one engine step: one ragged forward over `chunks`.
public struct StepPlan: Sendable, Equatable {
    /// Decodes first (oldest first), then ongoing prefills, then newly admitted prefills. Empty when idle.
    public var chunks: [ScheduledChunk]
    /// Sequences preempted while planning this step; they were requeued for recompute and are not in `chunks`.
    public var preempted: [SequenceID]

    public init(chunks: [ScheduledChunk] = [], preempted: [SequenceID] = []) {
        self.chunks = chunks
        self.preempted = preempted
    }

    public var numTokens: Int { chunks.reduce(0) { $0 + $1.tokens.count } }
    public var isEmpty: Bool { chunks.isEmpty }

    /// Waste if every chunk were padded to the longest: `1 - tokens / (numChunks * longestChunk)`; 0 when empty.
    public var paddingRatio: Double {
        guard let longest = chunks.map(\.tokens.count).max(), longest > 0 else { return 0 }
        return 1 - Double(numTokens) / Double(chunks.count * longest)
    }
}
