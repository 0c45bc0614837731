import Foundation
import Model
import Tokenizer

/// The real engine: greedy generation with `LlamaModel`, one request at a time, on a dedicated thread.
final class LlamaEngine: CompletionEngine {
    let model: LlamaModel
    private let executor = DedicatedThreadExecutor(name: "llama-engine")

    init(model: LlamaModel) {
        self.model = model
    }

    func complete(promptTokens: [Int], maxTokens: Int, stopTokenIds: Set<Int>) async throws -> CompletionResult {
        let model = self.model
        let generation = try await executor.run {
            try generateGreedy(model: model, prompt: promptTokens, maxNewTokens: maxTokens, stopTokenIds: stopTokenIds)
        }
        return CompletionResult(tokens: generation.tokens, finishReason: generation.hitStopToken ? .stop : .length)
    }

    /// Finishes the request in progress (if any) and stops the thread.
    func shutdown() {
        executor.shutdown()
    }
}

extension Tokenizer: TokenCodec {}

extension ServedModel {
    /// Loads tokenizer and weights from a Hugging Face model directory.
    static func load(name: String, directory: URL) throws -> (ServedModel, LlamaEngine) {
        let tokenizer = try Tokenizer(directory: directory)
        let model = try LlamaModel(directory: directory)
        let engine = LlamaEngine(model: model)
        let served = ServedModel(
            name: name,
            maxModelLen: model.config.maxPositionEmbeddings,
            vocabSize: min(model.config.vocabSize, tokenizer.vocabularySize),
            stopTokenIds: tokenizer.eosTokenId.map { [$0] } ?? [],
            codec: tokenizer,
            engine: engine)
        return (served, engine)
    }
}
