import Scheduler

/// Tokens of several sequences at different positions, run in one forward call. Each chunk's new tokens
/// continue after `numCachedTokens` tokens already in the KV cache; the model reads only their tokens,
/// positions, block table and logit rows (`ScheduledChunk` is the scheduler's plan, used as is).
public struct ForwardBatch: Sendable, Equatable {
    public var sequences: [ScheduledChunk]

    public init(_ sequences: [ScheduledChunk]) { self.sequences = sequences }

    public var numTokens: Int { sequences.reduce(0) { $0 + $1.tokens.count } }
    public var numLogitRows: Int { sequences.reduce(0) { $0 + $1.logitIndices.count } }
}
