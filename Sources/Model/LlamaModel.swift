import Foundation

// PLACEHOLDER API — being implemented. Signatures are the contract Serve codes against.

public struct LlamaConfig: Codable, Sendable {
    public var vocabSize: Int
    public var maxPositionEmbeddings: Int
}

public final class LlamaModel: Sendable {
    public let config: LlamaConfig
    public init(directory: URL) throws { fatalError("not yet") }
}

/// The result of a greedy generation.
public struct Generation: Sendable {
    public var tokens: [Int]
    /// true when generation ended on one of `stopTokenIds` (which is not included in `tokens`).
    public var hitStopToken: Bool
}

/// Greedy (argmax) decoding of one sequence; blocking, CPU-bound: call it off the event loops.
public func generateGreedy(model: LlamaModel, prompt: [Int], maxNewTokens: Int, stopTokenIds: Set<Int>) throws -> Generation {
    fatalError("not yet")
}
