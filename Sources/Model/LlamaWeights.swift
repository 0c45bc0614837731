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

    /// Reads Hugging Face tensor names (`model.layers.N.self_attn.q_proj.weight`, ...).
    public init(file: SafeTensorsFile, config c: LlamaConfig) throws {
        let h = c.hiddenSize, qDim = c.numHeads * c.headDim, kvDim = c.numKVHeads * c.headDim, ffn = c.intermediateSize
        embedding = try WeightMatrix(file: file, names: ["model.embed_tokens.weight"], rowCounts: [c.vocabSize], columns: h)
        finalNorm = try file.floats("model.norm.weight", shape: [h])
        if c.tieWordEmbeddings {
            lmHead = embedding
        } else {
            lmHead = try WeightMatrix(file: file, names: ["lm_head.weight"], rowCounts: [c.vocabSize], columns: h)
        }
        layers = try (0..<c.numLayers).map { i in
            let p = "model.layers.\(i)."
            return LayerWeights(
                attentionNorm: try file.floats(p + "input_layernorm.weight", shape: [h]),
                qkv: try WeightMatrix(file: file, names: ["q_proj", "k_proj", "v_proj"].map { p + "self_attn.\($0).weight" },
                                      rowCounts: [qDim, kvDim, kvDim], columns: h),
                output: try WeightMatrix(file: file, names: [p + "self_attn.o_proj.weight"], rowCounts: [h], columns: qDim),
                ffnNorm: try file.floats(p + "post_attention_layernorm.weight", shape: [h]),
                gateUp: try WeightMatrix(file: file, names: ["gate_proj", "up_proj"].map { p + "mlp.\($0).weight" },
                                         rowCounts: [ffn, ffn], columns: h),
                down: try WeightMatrix(file: file, names: [p + "mlp.down_proj.weight"], rowCounts: [h], columns: ffn)
            )
        }
    }
}
