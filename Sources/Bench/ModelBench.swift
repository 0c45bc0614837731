import Foundation
import Model

/// Prefill and single-stream decode speed of the real model.
/// Options: --model DIR (default weights/smol-135m), --prompt-tokens N (512), --decode-tokens N (128), --runs N (3).
func runModelBenchmark(_ arguments: [String]) {
    func option(_ name: String, _ fallback: Int) -> Int {
        arguments.firstIndex(of: name).flatMap { Int(arguments[$0 + 1]) } ?? fallback
    }
    let directory = arguments.firstIndex(of: "--model").map { arguments[$0 + 1] } ?? "weights/smol-135m"
    let promptTokens = option("--prompt-tokens", 512), decodeTokens = option("--decode-tokens", 128), runs = option("--runs", 3)
    let model: LlamaModel
    do { model = try LlamaModel(directory: URL(fileURLWithPath: directory)) } catch {
        print("bench: cannot load \(directory): \(error)")
        exit(1)
    }
    let blockSize = 16
    let numBlocks = (promptTokens + decodeTokens) / blockSize + 1
    let runner = ModelRunner(model: model, numBlocks: numBlocks, blockSize: blockSize)
    let blockTable = Array(0..<numBlocks)
    var generator = SystemRandomNumberGenerator()
    let prompt = (0..<promptTokens).map { _ in Int.random(in: 100..<model.config.vocabSize, using: &generator) }
    print("model \(directory): prompt \(promptTokens) tokens, decode \(decodeTokens) tokens, best of \(runs) runs")

    var bestPrefill = 0.0, bestDecode = 0.0
    for _ in 0..<runs {
        let start = DispatchTime.now()
        try! runner.forward(ForwardBatch([SequenceChunk(tokens: prompt, numCachedTokens: 0, blockTable: blockTable, logitIndices: [promptTokens - 1])]))
        let prefillSeconds = seconds(since: start)
        var token = runner.argmax(row: 0)
        let decodeStart = DispatchTime.now()
        for i in 0..<decodeTokens {
            try! runner.forward(ForwardBatch([SequenceChunk(tokens: [token], numCachedTokens: promptTokens + i, blockTable: blockTable, logitIndices: [0])]))
            token = runner.argmax(row: 0)
        }
        let decodeSeconds = seconds(since: decodeStart)
        bestPrefill = max(bestPrefill, Double(promptTokens) / prefillSeconds)
        bestDecode = max(bestDecode, Double(decodeTokens) / decodeSeconds)
        print(String(format: "  prefill %.1f tok/s, decode %.1f tok/s", Double(promptTokens) / prefillSeconds, Double(decodeTokens) / decodeSeconds))
    }
    print(String(format: "best: prefill %.1f tok/s, single-stream decode %.1f tok/s", bestPrefill, bestDecode))
}

private func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}
