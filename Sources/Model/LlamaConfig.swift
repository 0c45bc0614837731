import Foundation

/// The fields of a Hugging Face LLaMA `config.json` the forward pass needs.
public struct LlamaConfig: Codable, Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numLayers: Int
    public var numHeads: Int
    public var numKVHeads: Int
    public var headDim: Int
    public var rmsNormEps: Float
    public var ropeTheta: Float
    public var maxPositionEmbeddings: Int
    public var tieWordEmbeddings: Bool
    public var hiddenAct: String
    public var bosTokenId: Int?
    /// HF allows one id or a list.
    public var eosTokenIds: [Int]

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numLayers = "num_hidden_layers"
        case numHeads = "num_attention_heads"
        case numKVHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case maxPositionEmbeddings = "max_position_embeddings"
        case tieWordEmbeddings = "tie_word_embeddings"
        case hiddenAct = "hidden_act"
        case bosTokenId = "bos_token_id"
        case eosTokenIds = "eos_token_id"
        case ropeScaling = "rope_scaling"
        case modelType = "model_type"
    }

    public init(
        vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numLayers: Int, numHeads: Int, numKVHeads: Int,
        headDim: Int? = nil, rmsNormEps: Float = 1e-5, ropeTheta: Float = 10000, maxPositionEmbeddings: Int = 2048,
        tieWordEmbeddings: Bool = true, bosTokenId: Int? = nil, eosTokenIds: [Int] = []
    ) {
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; self.intermediateSize = intermediateSize
        self.numLayers = numLayers; self.numHeads = numHeads; self.numKVHeads = numKVHeads
        self.headDim = headDim ?? hiddenSize / numHeads
        self.rmsNormEps = rmsNormEps; self.ropeTheta = ropeTheta; self.maxPositionEmbeddings = maxPositionEmbeddings
        self.tieWordEmbeddings = tieWordEmbeddings; self.hiddenAct = "silu"
        self.bosTokenId = bosTokenId; self.eosTokenIds = eosTokenIds
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let type = try c.decodeIfPresent(String.self, forKey: .modelType), !["llama", "mistral"].contains(type) {
            throw ModelError.unsupportedConfig(field: "model_type", value: type)
        }
        if c.contains(.ropeScaling), try !c.decodeNil(forKey: .ropeScaling) {
            throw ModelError.unsupportedConfig(field: "rope_scaling", value: "non-null")
        }
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        numLayers = try c.decode(Int.self, forKey: .numLayers)
        numHeads = try c.decode(Int.self, forKey: .numHeads)
        numKVHeads = try c.decodeIfPresent(Int.self, forKey: .numKVHeads) ?? numHeads
        headDim = try c.decodeIfPresent(Int.self, forKey: .headDim) ?? hiddenSize / numHeads
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: .rmsNormEps) ?? 1e-6
        ropeTheta = try c.decodeIfPresent(Float.self, forKey: .ropeTheta) ?? 10000
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 2048
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "silu"
        bosTokenId = try c.decodeIfPresent(Int.self, forKey: .bosTokenId)
        if let one = try? c.decodeIfPresent(Int.self, forKey: .eosTokenIds) {
            eosTokenIds = [one]
        } else {
            eosTokenIds = try c.decodeIfPresent([Int].self, forKey: .eosTokenIds) ?? []
        }
        try validate()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("llama", forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize); try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize); try c.encode(numLayers, forKey: .numLayers)
        try c.encode(numHeads, forKey: .numHeads); try c.encode(numKVHeads, forKey: .numKVHeads)
        try c.encode(headDim, forKey: .headDim); try c.encode(rmsNormEps, forKey: .rmsNormEps)
        try c.encode(ropeTheta, forKey: .ropeTheta); try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings); try c.encode(hiddenAct, forKey: .hiddenAct)
        try c.encodeIfPresent(bosTokenId, forKey: .bosTokenId); try c.encode(eosTokenIds, forKey: .eosTokenIds)
    }

    func validate() throws {
        for (field, value) in [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                               ("num_hidden_layers", numLayers), ("num_attention_heads", numHeads),
                               ("num_key_value_heads", numKVHeads), ("head_dim", headDim),
                               ("max_position_embeddings", maxPositionEmbeddings)] where value <= 0 {
            throw ModelError.unsupportedConfig(field: field, value: String(value))
        }
        guard numHeads % numKVHeads == 0 else {
            throw ModelError.unsupportedConfig(field: "num_key_value_heads", value: "\(numKVHeads) does not divide num_attention_heads \(numHeads)")
        }
        guard headDim % 2 == 0 else { throw ModelError.unsupportedConfig(field: "head_dim", value: "\(headDim) is odd") }
        guard hiddenAct == "silu" else { throw ModelError.unsupportedConfig(field: "hidden_act", value: hiddenAct) }
    }
}

public enum ModelError: Error, Equatable, CustomStringConvertible {
    case missingFile(String)
    case invalidConfig(path: String, reason: String)
    case unsupportedConfig(field: String, value: String)
    case invalidBatch(String)

    public var description: String {
        switch self {
        case .missingFile(let path): "missing model file \(path)"
        case .invalidConfig(let path, let reason): "invalid \(path): \(reason)"
        case .unsupportedConfig(let field, let value): "unsupported config: \(field) = \(value)"
        case .invalidBatch(let reason): "invalid batch: \(reason)"
        }
    }
}
