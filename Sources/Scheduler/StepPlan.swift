/// One sequence's work in a step, and the one chunk type the model runs: feed `tokens` at positions
/// `numCachedTokens ..< numCachedTokens + tokens.count`, writing their KV into `blockTable`, and return the
/// next-token logits of the rows in `logitIndices`.
///
/// Three shapes: a prompt chunk mid-prefill (no logits), the last prompt chunk (logits of its last row), and a
/// decode: the last sampled token followed by `numDraftTokens` draft tokens, with logits of every row — row
/// i's logits verify draft i, the last row's give the token after the final draft.
public struct ScheduledChunk: Sendable, Equatable {
    public var id: SequenceID
    public var tokens: [Int]
    /// Tokens of this sequence already in the KV cache (the position of `tokens[0]`).
    public var numCachedTokens: Int
    /// Physical KV blocks; position p lives in block `blockTable[p / blockSize]`, slot `p % blockSize`.
    /// Covers at least `numCachedTokens + tokens.count` positions.
    public var blockTable: [Int]
    /// Rows of `tokens` whose next-token logits are wanted, ascending.
    public var logitIndices: [Int]
    public var isPrefill: Bool
    /// The trailing tokens that are speculative drafts, not yet part of the sequence.
    public var numDraftTokens: Int

    public init(
        id: SequenceID = 0, tokens: [Int], numCachedTokens: Int, blockTable: [Int], logitIndices: [Int],
        isPrefill: Bool = false, numDraftTokens: Int = 0
    ) {
        self.id = id
        self.tokens = tokens
        self.numCachedTokens = numCachedTokens
        self.blockTable = blockTable
        self.logitIndices = logitIndices
        self.isPrefill = isPrefill
        self.numDraftTokens = numDraftTokens
    }

    /// Whether the step samples anything for this sequence (a decode, or the last chunk of a prompt).
    public var needsLogits: Bool { !logitIndices.isEmpty }
    /// The draft tokens this chunk verifies.
    public var draftTokens: ArraySlice<Int> { tokens[(tokens.count - numDraftTokens)...] }
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
    public var numLogitRows: Int { chunks.reduce(0) { $0 + $1.logitIndices.count } }
    public var isEmpty: Bool { chunks.isEmpty }

    /// Waste if every chunk were padded to the longest: `1 - tokens / (numChunks * longestChunk)`; 0 when empty.
    public var paddingRatio: Double {
        guard let longest = chunks.map(\.tokens.count).max(), longest > 0 else { return 0 }
        return 1 - Double(numTokens) / Double(chunks.count * longest)
    }
}
