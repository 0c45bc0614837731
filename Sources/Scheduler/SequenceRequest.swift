/// Identifies a sequence for its whole life in the scheduler; chosen by the engine, unique among live sequences.
public typealias SequenceID = Int

/// What the engine hands the scheduler: a tokenized prompt and how many tokens to generate.
public struct SequenceRequest: Sendable, Equatable {
    public var id: SequenceID
    public var promptTokens: [Int]
    public var maxNewTokens: Int
    /// Seconds on the engine's clock; used for FIFO order and aging.
    public var arrivalTime: Double

    public init(id: SequenceID, promptTokens: [Int], maxNewTokens: Int, arrivalTime: Double) {
        self.id = id
        self.promptTokens = promptTokens
        self.maxNewTokens = maxNewTokens
        self.arrivalTime = arrivalTime
    }
}
