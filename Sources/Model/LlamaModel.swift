import Foundation

/// A loaded LLaMA-family model: configuration, weights and RoPE tables. Immutable, shared freely;
/// the mutable state of inference lives in `PagedKVCache` and `ModelRunner`.
public final class LlamaModel: Sendable {
    public let config: LlamaConfig
    public let weights: LlamaWeights
    let rope: RopeTable

    /// Loads a Hugging Face model directory: config.json + model.safetensors, matrices stored as `format`, and the
    /// LM head's int8 copy for greedy rows (`GreedyHead`) where a kernel path reads it, unless `greedyHead` is false
    /// (a draft model, which always needs its distributions: ~32 MB and ~0.15 s at this vocabulary).
    public convenience init(directory: URL, format: WeightFormat = .bf16, greedyHead: Bool = true) throws {
        let configURL = directory.appendingPathComponent("config.json")
        let weightsURL = directory.appendingPathComponent("model.safetensors")
        guard let configData = FileManager.default.contents(atPath: configURL.path) else {
            throw ModelError.missingFile(configURL.path)
        }
        let config: LlamaConfig
        do { config = try JSONDecoder().decode(LlamaConfig.self, from: configData) } catch let error as ModelError {
            throw error
        } catch {
            throw ModelError.invalidConfig(path: configURL.path, reason: String(describing: error))
        }
        guard FileManager.default.fileExists(atPath: weightsURL.path) else { throw ModelError.missingFile(weightsURL.path) }
        let file = try SafeTensorsFile(path: weightsURL.path)
        var weights = try LlamaWeights.load(file: file, config: config, format: format, modelDirectory: directory)
        if greedyHead, GreedyHead.isWanted { weights.greedyHead = GreedyHead(lmHead: weights.lmHead) }
        try self.init(config: config, weights: weights)
    }

    public init(config: LlamaConfig, weights: LlamaWeights) throws {
        try config.validate()
        self.config = config
        self.weights = weights
        rope = RopeTable(headDim: config.headDim, maxPositions: config.maxPositionEmbeddings, theta: config.ropeTheta)
    }
}
