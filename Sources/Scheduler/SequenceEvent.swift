/// Why a sequence left the scheduler.
public enum FinishReason: String, Sendable, Equatable {
    /// The engine saw eos or a stop string.
    case stop
    /// maxNewTokens reached.
    case length
    /// The client went away.
    case cancelled
}

/// What happened to a sequence, in the order it happened.
public enum SequenceEvent: Sendable, Equatable {
    /// A new generated token was appended.
    case token(SequenceID, Int)
    /// The sequence left the scheduler; its blocks are already free.
    case finished(SequenceID, FinishReason)
}
