import Foundation
import Model
import Scheduler

/// How far a quantized format's next-token distributions are from bf16's: mean and max KL(bf16 ‖ format) and top-1
/// agreement over every position of a text (llama-perplexity --kl-divergence reports the same statistics).
/// Options: --dtype q8_0|q4_0, --model DIR. The text: the prompts and transformers' greedy continuations in
/// Tests/Fixtures/smol_greedy.json (17 sequences of chat and plain text).
func runQuantizationErrorBenchmark(_ arguments: [String]) {
    let directory = URL(fileURLWithPath: arguments.firstIndex(of: "--model").map { arguments[$0 + 1] } ?? "weights/smol-135m")
    let format = arguments.firstIndex(of: "--dtype").flatMap { WeightFormat(rawValue: arguments[$0 + 1]) } ?? .q4_0
    struct Fixture: Decodable {
        struct Prompt: Decodable { var prompt_ids: [Int]; var greedy_ids: [Int] }
        var prompts: [Prompt]
    }
    guard let data = FileManager.default.contents(atPath: "Tests/Fixtures/smol_greedy.json"),
          let fixture = try? JSONDecoder().decode(Fixture.self, from: data) else {
        print("bench: run from the repository root (reads Tests/Fixtures/smol_greedy.json)")
        exit(1)
    }
    let sequences = fixture.prompts.map { $0.prompt_ids + $0.greedy_ids }
    do {
        // The reference: the checkpoint's bf16 values widened exactly to f32 (BLAS; the same model as bf16).
        let config = try JSONDecoder().decode(LlamaConfig.self, from: Data(contentsOf: directory.appendingPathComponent("config.json")))
        let file = try SafeTensorsFile(path: directory.appendingPathComponent("model.safetensors").path)
        let reference = try LlamaModel(config: config, weights: LlamaWeights(file: file, config: config) { names, rowCounts, columns, _ in
            let values = try zip(names, rowCounts).flatMap { try file.floats($0, shape: [$1, columns]) }
            return WeightMatrix(rows: rowCounts.reduce(0, +), columns: columns, f32: values)
        })
        let model = try LlamaModel(directory: directory, format: format)
        func logits(_ m: LlamaModel, _ tokens: [Int]) throws -> [[Double]] {
            let runner = ModelRunner(model: m, numBlocks: tokens.count / 16 + 1)
            try runner.forward(ForwardBatch([ScheduledChunk(tokens: tokens, numCachedTokens: 0, blockTable: Array(0..<runner.cache.numBlocks),
                                                           logitIndices: Array(tokens.indices))]))
            return tokens.indices.map { row in runner.withLogits(row: row) { $0.map(Double.init) } }
        }
        var p: [[Double]] = [], q: [[Double]] = []
        for tokens in sequences {
            p += try logits(reference, tokens)
            q += try logits(model, tokens)
        }
        var total = 0.0, worst = 0.0, agree = 0
        for (a, b) in zip(p, q) {
            let la = logSoftmax(a), lb = logSoftmax(b)
            let kl = zip(la, lb).reduce(0.0) { $0 + exp($1.0) * ($1.0 - $1.1) }
            total += kl
            worst = max(worst, kl)
            if a.indices.max(by: { a[$0] < a[$1] }) == b.indices.max(by: { b[$0] < b[$1] }) { agree += 1 }
        }
        print(String(format: "%@ vs bf16 over %d positions: mean KL %.5f, max KL %.4f, same top token %.1f%%", format.rawValue, p.count,
                     total / Double(p.count), worst, 100 * Double(agree) / Double(p.count)))
    } catch {
        print("bench: \(error)")
        exit(1)
    }
}

private func logSoftmax(_ x: [Double]) -> [Double] {
    let m = x.max()!
    let logSum = log(x.reduce(0) { $0 + exp($1 - m) }) + m
    return x.map { $0 - logSum }
}
