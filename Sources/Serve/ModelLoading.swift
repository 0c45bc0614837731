import Foundation
import Logging
import Metrics
import Model
import Tokenizer

extension ServedModel {
    /// Loads tokenizer and weights from a Hugging Face model directory and starts a `LlamaBatchEngine`
    /// on them. Call `shutdown` on the engine before exit.
    static func load(
        name: String, directory: URL, engineConfig: EngineConfig = EngineConfig(),
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance,
        logger: Logger = Logger(label: "serve.engine")
    ) throws -> (ServedModel, LlamaBatchEngine) {
        let tokenizer = try Tokenizer(directory: directory)
        let model = try LlamaModel(directory: directory)
        let engine = LlamaBatchEngine(
            model: model, tokenizer: tokenizer, config: engineConfig, metricsFactory: metricsFactory, logger: logger)
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

extension EngineConfig {
    /// Defaults, overridden by config.json's `scheduler` section, overridden by the command line.
    init(settings: ServerConfig.SchedulerSettings?, maxNumSeqs: Int? = nil, maxNumBatchedTokens: Int? = nil,
         kvCacheMemoryMib: Int? = nil, speculation: ServerConfig.SpeculationSettings? = nil,
         specMode: SpeculationConfig.Mode? = nil, specTokens: Int? = nil, ngramMin: Int? = nil, ngramMax: Int? = nil) {
        self.init()
        if let value = specMode ?? speculation?.mode { self.speculation.mode = value }
        if let value = specTokens ?? speculation?.numSpeculativeTokens { self.speculation.maxDraftTokens = value }
        if let value = ngramMin ?? speculation?.ngramMin { self.speculation.ngramMin = value }
        if let value = ngramMax ?? speculation?.ngramMax { self.speculation.ngramMax = value }
        if let value = maxNumSeqs ?? settings?.maxNumSeqs { self.maxNumSeqs = value }
        if let value = maxNumBatchedTokens ?? settings?.maxNumBatchedTokens { self.maxNumBatchedTokens = value }
        if let value = settings?.longPrefillTokenThreshold { longPrefillTokenThreshold = value }
        if let value = settings?.longPrefillChunkTokens { longPrefillChunkTokens = value }
        if let value = settings?.blockSize { blockSize = value }
        if let value = kvCacheMemoryMib ?? settings?.kvCacheMemoryMib { kvCacheMemoryBytes = value << 20 }
    }
}
