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
            maxModelLen: min(model.config.maxPositionEmbeddings, engine.schedulerConfig.maxSequenceTokens),
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
        let draft = try LlamaModel(directory: directory, format: format)
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

extension EngineConfig {
    /// Defaults, overridden by config.json's `scheduler` section, overridden by the command line. `kvCacheDType`
    /// comes resolved (flag, else config, else f32) by `ServerConfig.kvCacheDType(flag:)`, which reports a bad value.
    init(settings: ServerConfig.SchedulerSettings?, maxNumSeqs: Int? = nil, maxNumBatchedTokens: Int? = nil,
         kvCacheMemoryMib: Int? = nil, kvCacheDType: KVCacheDType = .f32, enablePrefixCaching: Bool? = nil, speculation: ServerConfig.SpeculationSettings? = nil,
         specMode: SpeculationConfig.Mode? = nil, specTokens: Int? = nil, ngramMin: Int? = nil, ngramMax: Int? = nil) {
        self.init()
        if let value = specMode ?? speculation?.mode { self.speculation.mode = value }
        if let value = specTokens ?? speculation?.numSpeculativeTokens { self.speculation.maxDraftTokens = value }
        if let value = ngramMin ?? speculation?.ngramMin { self.speculation.ngramMin = value }
        if let value = ngramMax ?? speculation?.ngramMax { self.speculation.ngramMax = value }
        if let value = speculation?.adaptive { self.speculation.isAdaptive = value }
        if let value = maxNumSeqs ?? settings?.maxNumSeqs { self.maxNumSeqs = value }
        if let value = maxNumBatchedTokens ?? settings?.maxNumBatchedTokens { self.maxNumBatchedTokens = value }
        if let value = settings?.longPrefillTokenThreshold { longPrefillTokenThreshold = value }
        if let value = settings?.longPrefillChunkTokens { longPrefillChunkTokens = value }
        if let value = settings?.blockSize { blockSize = value }
        if let value = kvCacheMemoryMib ?? settings?.kvCacheMemoryMib { kvCacheMemoryBytes = value << 20 }
        self.kvCacheDType = kvCacheDType
        if let value = enablePrefixCaching ?? settings?.enablePrefixCaching { self.enablePrefixCaching = value }
    }
}
