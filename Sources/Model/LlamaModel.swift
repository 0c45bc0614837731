import Foundation

/// A loaded LLaMA-family model: configuration, weights and RoPE tables. Immutable, shared freely;
/// the mutable state of inference lives in `PagedKVCache` and `ModelRunner`.
public final class LlamaModel: Sendable {
    public let config: LlamaConfig
    public let weights: LlamaWeights
    let rope: RopeTable

    /// Loads a Hugging Face model directory: config.json + model.safetensors, matrices stored as `format`.
    public convenience init(directory: URL, format: WeightFormat = .bf16) throws {
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
        try self.init(config: config, weights: LlamaWeights.load(file: file, config: config, format: format, modelDirectory: directory))
    }

    public init(config: LlamaConfig, weights: LlamaWeights) throws {
        try config.validate()
        self.config = config
        self.weights = weights
        rope = RopeTable(headDim: config.headDim, maxPositions: config.maxPositionEmbeddings, theta: config.ropeTheta)
    }
}
