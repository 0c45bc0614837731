import Foundation

/// One decoder layer's weights. Matrices are [out, in] like torch.nn.Linear; projections that read
/// the same input are fused so each is one matrix product.
public struct LayerWeights: Sendable {
    public var attentionNorm: [Float]  // [hidden]
    public var qkv: WeightMatrix       // [(numHeads + 2 · numKVHeads) · headDim, hidden]: q rows, then k, then v
    public var output: WeightMatrix    // [hidden, numHeads · headDim]
    public var ffnNorm: [Float]        // [hidden]
    public var gateUp: WeightMatrix    // [2 · intermediate, hidden]: gate rows, then up
    public var down: WeightMatrix      // [hidden, intermediate]
}

/// All weights of a LLaMA model.
public struct LlamaWeights: Sendable {
    public var embedding: WeightMatrix // [vocab, hidden]
    public var layers: [LayerWeights]
    public var finalNorm: [Float]      // [hidden]
    /// The LM head; the embedding itself when tied.
    public var lmHead: WeightMatrix    // [vocab, hidden]
    /// An int8 copy of the LM head that finds greedy tokens without every logit (see GreedyHead), made by
    /// `LlamaModel(directory:)`; nil where no kernel reads it, the head is not bf16, or the model is a draft.
    public var greedyHead: GreedyHead?

    /// What a matrix is for: the format a loader picks may depend on it (see `WeightFormat.blockFormat`).
    public enum MatrixRole: Sendable {
        case linear
        /// The embedding when the LM head is a separate matrix.
        case embedding
        /// The embedding that is also the LM head.
        case tiedEmbedding
        case lmHead
    }

    /// Makes one matrix from the named tensors (each [rowCounts[i], columns]) stacked along rows.
    public typealias MatrixLoader = (_ names: [String], _ rowCounts: [Int], _ columns: Int, _ role: MatrixRole) throws -> WeightMatrix

    /// Reads Hugging Face tensor names (`model.layers.N.self_attn.q_proj.weight`, ...), matrices as the checkpoint stores them.
    public init(file: SafeTensorsFile, config c: LlamaConfig) throws {
        try self.init(file: file, config: c) { names, rowCounts, columns, _ in
            try WeightMatrix(file: file, names: names, rowCounts: rowCounts, columns: columns)
        }
    }

    /// Reads the tensors with `matrix` making each matrix; `layerLoaded(i)` after layer i (progress).
    public init(file: SafeTensorsFile, config c: LlamaConfig, layerLoaded: (Int) -> Void = { _ in }, matrix: MatrixLoader) throws {
        let h = c.hiddenSize, qDim = c.numHeads * c.headDim, kvDim = c.numKVHeads * c.headDim, ffn = c.intermediateSize
        embedding = try matrix(["model.embed_tokens.weight"], [c.vocabSize], h, c.tieWordEmbeddings ? .tiedEmbedding : .embedding)
        finalNorm = try file.floats("model.norm.weight", shape: [h])
        if c.tieWordEmbeddings {
            lmHead = embedding
        } else {
            lmHead = try matrix(["lm_head.weight"], [c.vocabSize], h, .lmHead)
        }
        layers = try (0..<c.numLayers).map { i in
            let p = "model.layers.\(i)."
            let layer = LayerWeights(
                attentionNorm: try file.floats(p + "input_layernorm.weight", shape: [h]),
                qkv: try matrix(["q_proj", "k_proj", "v_proj"].map { p + "self_attn.\($0).weight" }, [qDim, kvDim, kvDim], h, .linear),
                output: try matrix([p + "self_attn.o_proj.weight"], [h], qDim, .linear),
                ffnNorm: try file.floats(p + "post_attention_layernorm.weight", shape: [h]),
                gateUp: try matrix(["gate_proj", "up_proj"].map { p + "mlp.\($0).weight" }, [ffn, ffn], h, .linear),
                down: try matrix([p + "mlp.down_proj.weight"], [h], ffn, .linear)
            )
            layerLoaded(i)
            return layer
        }
    }
}
