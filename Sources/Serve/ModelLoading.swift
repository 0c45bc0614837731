import Foundation
import Logging
import Metrics
import Model
import Tokenizer

extension ServedModel {
    /// Loads tokenizer and weights (matrices as `format`, the draft's too) from a Hugging Face model directory and
    /// starts a `LlamaBatchEngine` on them. Call `shutdown` on the engine before exit.
    static func load(
        name: String, directory: URL, format: WeightFormat = .bf16, engineConfig: EngineConfig = EngineConfig(), draftDirectory: URL? = nil,
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance,
        logger: Logger = Logger(label: "serve.engine")
    ) throws -> (ServedModel, LlamaBatchEngine) {
        let tokenizer = try Tokenizer(directory: directory)
        let model = try LlamaModel(directory: directory, format: format)
        let draftModel = try draftDirectory.map { try loadDraftModel($0, target: model, tokenizer: tokenizer, format: format) }
        let engine = LlamaBatchEngine(
            model: model, tokenizer: tokenizer, config: engineConfig, draftModel: draftModel,
            metricsFactory: metricsFactory, logger: logger)
        let served = ServedModel(
            name: name,
            limits: engine.limits,
            vocabSize: min(model.config.vocabSize, tokenizer.vocabularySize),
            stopTokenIds: tokenizer.eosTokenId.map { [$0] } ?? [],
            codec: tokenizer,
            engine: engine)
        return (served, engine)
    }
}

/// Text whose tokens a draft's tokenizer must reproduce exactly (a cheap check that the vocabularies agree).
private let vocabularyProbe = "Speculative decoding: the draft's tokens are the target's. 12345 ünïcödé 🙂 {\"json\": [1, 2]}"

extension ServedModel {
    /// A draft model must speak the target's vocabulary: same size and the same tokenizer's ids for every piece.
    static func loadDraftModel(_ directory: URL, target: LlamaModel, tokenizer: Tokenizer, format: WeightFormat = .bf16) throws -> LlamaModel {
        let draft = try LlamaModel(directory: directory, format: format, greedyHead: false)
        let mismatch = ServeError.draftVocabularyMismatch(
            path: directory.path, draft: draft.config.vocabSize, target: target.config.vocabSize)
        guard draft.config.vocabSize == target.config.vocabSize else { throw mismatch }
        let draftTokenizer = try Tokenizer(directory: directory)
        guard draftTokenizer.vocabularySize == tokenizer.vocabularySize, draftTokenizer.eosTokenId == tokenizer.eosTokenId,
            draftTokenizer.encode(vocabularyProbe, addSpecialTokens: false) == tokenizer.encode(vocabularyProbe, addSpecialTokens: false)
        else { throw mismatch }
        return draft
    }
}
