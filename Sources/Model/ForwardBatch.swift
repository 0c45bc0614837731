import Scheduler

/// Tokens of several sequences at different positions, run in one forward call. Each chunk's new tokens
/// continue after `numCachedTokens` tokens already in the KV cache; the model reads only their tokens,
/// positions, block table and logit rows (`ScheduledChunk` is the scheduler's plan, used as is).
public struct ForwardBatch: Sendable, Equatable {
    public var sequences: [ScheduledChunk]
    /// Per sequence (empty: none): its logit rows are only ever argmaxed (greedy, no logprobs, penalties or grammar),
    /// so the runner may find that token without computing every logit (`ModelRunner.argmax(row:)`; see GreedyHead).
    public var argmaxOnly: [Bool]

    public init(_ sequences: [ScheduledChunk], argmaxOnly: [Bool] = []) {
        precondition(argmaxOnly.isEmpty || argmaxOnly.count == sequences.count, "one argmaxOnly flag per sequence")
        self.sequences = sequences
        self.argmaxOnly = argmaxOnly
    }

    public var numTokens: Int { sequences.reduce(0) { $0 + $1.tokens.count } }
    public var numLogitRows: Int { sequences.reduce(0) { $0 + $1.logitIndices.count } }
}
