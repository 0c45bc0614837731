import Foundation

/// One decoder layer's weights, f32, row-major `[out, in]` like torch.nn.Linear.
/// Projections that read the same input are fused into one matrix so each is one GEMM.
public struct LayerWeights: Sendable {
    public var attentionNorm: [Float]  // [hidden]
    public var qkv: [Float]            // [(numHeads + 2 * numKVHeads) * headDim, hidden]: q rows, then k, then v
    public var output: [Float]         // [hidden, numHeads * headDim]
    public var ffnNorm: [Float]        // [hidden]
    public var gateUp: [Float]         // [2 * intermediate, hidden]: gate rows, then up
    public var down: [Float]           // [hidden, intermediate]
}

/// All weights of a LLaMA model, converted to f32 at load.
public struct LlamaWeights: Sendable {
    public var embedding: [Float]      // [vocab, hidden]
    public var layers: [LayerWeights]
    public var finalNorm: [Float]      // [hidden]
    /// nil when tied to `embedding`.
    public var lmHead: [Float]?        // [vocab, hidden]

    /// Reads Hugging Face tensor names (`model.layers.N.self_attn.q_proj.weight`, ...).
    public init(file: SafeTensorsFile, config c: LlamaConfig) throws {
        let h = c.hiddenSize, qDim = c.numHeads * c.headDim, kvDim = c.numKVHeads * c.headDim
        embedding = try file.floats("model.embed_tokens.weight", shape: [c.vocabSize, h])
        finalNorm = try file.floats("model.norm.weight", shape: [h])
        if file.tensors["lm_head.weight"] != nil, !c.tieWordEmbeddings {
            lmHead = try file.floats("lm_head.weight", shape: [c.vocabSize, h])
        } else if c.tieWordEmbeddings {
            lmHead = nil
        } else {
            throw SafeTensorsError.missingTensor("lm_head.weight")
        }
        layers = try (0..<c.numLayers).map { i in
            let p = "model.layers.\(i)."
            return LayerWeights(
                attentionNorm: try file.floats(p + "input_layernorm.weight", shape: [h]),
                qkv: try file.floats(p + "self_attn.q_proj.weight", shape: [qDim, h])
                    + file.floats(p + "self_attn.k_proj.weight", shape: [kvDim, h])
                    + file.floats(p + "self_attn.v_proj.weight", shape: [kvDim, h]),
                output: try file.floats(p + "self_attn.o_proj.weight", shape: [h, qDim]),
                ffnNorm: try file.floats(p + "post_attention_layernorm.weight", shape: [h]),
                gateUp: try file.floats(p + "mlp.gate_proj.weight", shape: [c.intermediateSize, h])
                    + file.floats(p + "mlp.up_proj.weight", shape: [c.intermediateSize, h]),
                down: try file.floats(p + "mlp.down_proj.weight", shape: [h, c.intermediateSize])
            )
        }
    }
}
