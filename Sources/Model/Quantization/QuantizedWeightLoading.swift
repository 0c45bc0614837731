import Foundation

extension WeightFormat {
    /// The block format a matrix gets in this format; nil keeps the checkpoint's values (bf16 mode, and matrices
    /// whose rows are not whole 32-value blocks, which llama.cpp also leaves unquantized).
    ///
    /// q4_0 keeps the LM head (for SmolLM2 the tied embedding: 49152 × 576, ~20% of the weights) in Q8_0, as
    /// llama-quantize does for this model: its `llama_tensor_get_type` gives the output tensor (or the tied
    /// token embedding) Q6_K in Q4_0 files, and rows of 576 are not whole 256-value K-quant super-blocks, so it falls
    /// back to Q8_0. The logits are where 4-bit error hurts most (they feed the softmax directly); an untied input
    /// embedding is only looked up, and stays Q4_0 like llama.cpp's token_embd.
    public func blockFormat(for role: LlamaWeights.MatrixRole, columns: Int) -> BlockFormat? {
        guard columns % BlockFormat.blockSize == 0 else { return nil }
        switch self {
        case .bf16: return nil
        case .q8_0: return .q8_0
        case .q4_0: return role == .lmHead || role == .tiedEmbedding ? .q8_0 : .q4_0
        }
    }
}

extension LlamaWeights {
    /// The weights of `file` with matrices in `format`, from the cache beside the model if it holds this file's
    /// quantization, else quantized now (progress on stderr) and cached for the next start.
    static func load(file: SafeTensorsFile, config: LlamaConfig, format: WeightFormat, modelDirectory: URL) throws -> LlamaWeights {
        guard format != .bf16 else { return try LlamaWeights(file: file, config: config) }
        let cache = try QuantizedWeightCache(modelDirectory: modelDirectory, format: format, sourcePath: file.path)
        if let stored = cache.read(), let weights = try? LlamaWeights(file: file, config: config, matrix: { names, rowCounts, columns, role in
            guard let blockFormat = format.blockFormat(for: role, columns: columns) else {
                return try WeightMatrix(file: file, names: names, rowCounts: rowCounts, columns: columns)
            }
            let rows = rowCounts.reduce(0, +)
            guard let panels = stored[QuantizedWeightCache.key(names)], panels.format == blockFormat, panels.rows == rows,
                  panels.columns == columns else { throw QuantizedWeightCache.Miss() }
            return WeightMatrix(quantized: panels)
        }) {
            return weights
        }
        var built: [(String, QuantizedPanels)] = []
        // One line rewritten in place on a terminal; in a log, a line every 10 layers and at the end.
        let isTerminal = isatty(2) == 1
        let weights = try LlamaWeights(file: file, config: config, layerLoaded: { i in
            let done = i + 1, last = done == config.numLayers, line = "quantizing weights to \(format.rawValue): \(done)/\(config.numLayers) layers"
            if isTerminal {
                FileHandle.standardError.write(Data("\r\(line)\(last ? "\n" : "")".utf8))
            } else if done == 1 || done % 10 == 0 || last {
                FileHandle.standardError.write(Data("\(line)\n".utf8))
            }
        }) { names, rowCounts, columns, role in
            guard let blockFormat = format.blockFormat(for: role, columns: columns) else {
                return try WeightMatrix(file: file, names: names, rowCounts: rowCounts, columns: columns)
            }
            let rows = rowCounts.reduce(0, +)
            let values = try zip(names, rowCounts).flatMap { try file.floats($0, shape: [$1, columns]) }
            let panels = values.withUnsafeBufferPointer { QuantizedPanels(quantizing: $0, rows: rows, columns: columns, format: blockFormat) }
            built.append((QuantizedWeightCache.key(names), panels))
            return WeightMatrix(quantized: panels)
        }
        do { try cache.write(built) } catch {
            FileHandle.standardError.write(Data("warning: could not cache quantized weights at \(cache.url.path): \(error)\n".utf8))
        }
        return weights
    }
}
