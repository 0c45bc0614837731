import Scheduler

/// The result of a greedy generation.
public struct Generation: Sendable, Equatable {
    public var tokens: [Int]
    /// true when generation ended on one of `stopTokenIds` (which is not included in `tokens`).
    public var hitStopToken: Bool
}

/// Greedy (argmax) decoding of one sequence: one prefill forward, then one forward per token.
/// Blocking and CPU-bound: call it off the event loops.
public func generateGreedy(model: LlamaModel, prompt: [Int], maxNewTokens: Int, stopTokenIds: Set<Int>,
                           kvCacheDType: KVCacheDType = .f32, kernelPath: KernelPath = .selected) throws -> Generation {
    guard !prompt.isEmpty else { throw ModelError.invalidBatch("empty prompt") }
    let blockSize = 16
    let numBlocks = (prompt.count + maxNewTokens + blockSize - 1) / blockSize
    let runner = ModelRunner(model: model, numBlocks: numBlocks, blockSize: blockSize, kvCacheDType: kvCacheDType, kernelPath: kernelPath)
    let blockTable = Array(0..<numBlocks)
    var generated: [Int] = []
    var chunk = ScheduledChunk(tokens: prompt, numCachedTokens: 0, blockTable: blockTable, logitIndices: [prompt.count - 1])
    while generated.count < maxNewTokens {
        try runner.forward(ForwardBatch([chunk], argmaxOnly: [true]))
        let next = runner.argmax(row: 0)
        if stopTokenIds.contains(next) { return Generation(tokens: generated, hitStopToken: true) }
        generated.append(next)
        chunk = ScheduledChunk(tokens: [next], numCachedTokens: chunk.numCachedTokens + chunk.tokens.count,
                              blockTable: blockTable, logitIndices: [0])
    }
    return Generation(tokens: generated, hitStopToken: false)
}
