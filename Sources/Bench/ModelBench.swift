import Scheduler
import Foundation
import Model

/// Prefill and single-stream decode speed of the real model.
/// Options: --model DIR (default weights/smol-135m), --dtype bf16|q8_0|q4_0 (bf16), --kv-dtype f32|f16 (f32), --prompt-tokens N (512), --decode-tokens N (128), --runs N (3); batched decode: --batches 4,16, --context N (64, at most the prompt), --steps N (32).
func runModelBenchmark(_ arguments: [String]) {
    func option(_ name: String, _ fallback: Int) -> Int { intOption(arguments, name, fallback) }
    let kvName = arguments.firstIndex(of: "--kv-dtype").map { arguments[$0 + 1] } ?? "f32"
    guard let kvDType = KVCacheDType(rawValue: kvName) else {
        print("bench: --kv-dtype \(kvName) is not one of \(KVCacheDType.allCases.map(\.rawValue).joined(separator: ", "))")
        exit(1)
    }
    let (directory, model) = loadModel(arguments)
    let promptTokens = option("--prompt-tokens", 512), decodeTokens = option("--decode-tokens", 128), runs = option("--runs", 3)
    let blockSize = 16
    let numBlocks = (promptTokens + decodeTokens) / blockSize + 1
    let runner = ModelRunner(model: model, numBlocks: numBlocks, blockSize: blockSize, kvCacheDType: kvDType)
    let blockTable = Array(0..<numBlocks)
    var generator = SystemRandomNumberGenerator()
    let prompt = (0..<promptTokens).map { _ in Int.random(in: 100..<model.config.vocabSize, using: &generator) }
    print("model \(directory), KV cache \(kvDType.rawValue): prompt \(promptTokens) tokens, decode \(decodeTokens) tokens, best of \(runs) runs")

    var bestPrefill = 0.0, bestDecode = 0.0
    for _ in 0..<runs {
        let start = DispatchTime.now()
        try! runner.forward(ForwardBatch([ScheduledChunk(tokens: prompt, numCachedTokens: 0, blockTable: blockTable, logitIndices: [promptTokens - 1])], argmaxOnly: [true]))
        let prefillSeconds = seconds(since: start)
        var token = runner.argmax(row: 0)
        let decodeStart = DispatchTime.now()
        for i in 0..<decodeTokens {
            try! runner.forward(ForwardBatch([ScheduledChunk(tokens: [token], numCachedTokens: promptTokens + i, blockTable: blockTable, logitIndices: [0])], argmaxOnly: [true]))
            token = runner.argmax(row: 0)
        }
        let decodeSeconds = seconds(since: decodeStart)
        bestPrefill = max(bestPrefill, Double(promptTokens) / prefillSeconds)
        bestDecode = max(bestDecode, Double(decodeTokens) / decodeSeconds)
        print(String(format: "  prefill %.1f tok/s, decode %.1f tok/s", Double(promptTokens) / prefillSeconds, Double(decodeTokens) / decodeSeconds))
    }
    print(String(format: "best: prefill %.1f tok/s, single-stream decode %.1f tok/s", bestPrefill, bestDecode))

    // Batched decode: `batch` sequences of --context cached tokens (default 64) each advance one token per forward.
    for batch in arguments.firstIndex(of: "--batches").map({ arguments[$0 + 1].split(separator: ",").compactMap { Int($0) } }) ?? [4, 16] {
        let context = option("--context", 64), steps = option("--steps", 32)
        guard context <= promptTokens else {
            print("bench: --context \(context) is longer than the prompt (--prompt-tokens \(promptTokens))")
            exit(1)
        }
        let blocksPerSequence = (context + steps) / blockSize + 1
        let batchRunner = ModelRunner(model: model, numBlocks: batch * blocksPerSequence, blockSize: blockSize, kvCacheDType: kvDType)
        let tables = (0..<batch).map { Array($0 * blocksPerSequence..<($0 + 1) * blocksPerSequence) }
        try! batchRunner.forward(ForwardBatch(tables.map {
            ScheduledChunk(tokens: Array(prompt[0..<context]), numCachedTokens: 0, blockTable: $0, logitIndices: [context - 1])
        }, argmaxOnly: Array(repeating: true, count: batch)))
        let start = DispatchTime.now()
        for step in 0..<steps {
            try! batchRunner.forward(ForwardBatch((0..<batch).map {
                ScheduledChunk(tokens: [batchRunner.argmax(row: $0)], numCachedTokens: context + step, blockTable: tables[$0], logitIndices: [0])
            }, argmaxOnly: Array(repeating: true, count: batch)))
        }
        let elapsed = seconds(since: start)
        print(String(format: "batched decode x%d: %.1f tok/s aggregate (%.1f ms/step)", batch, Double(batch * steps) / elapsed, elapsed / Double(steps) * 1000))
    }
}

/// The integer after `name` in `arguments`, or `fallback`.
private func intOption(_ arguments: [String], _ name: String, _ fallback: Int) -> Int {
    arguments.firstIndex(of: name).flatMap { Int(arguments[$0 + 1]) } ?? fallback
}

/// The model at --model DIR (default weights/smol-135m) with matrices as --dtype (bf16, q8_0, q4_0; default bf16);
/// exits with a message if it does not load.
private func loadModel(_ arguments: [String]) -> (directory: String, model: LlamaModel) {
    let directory = arguments.firstIndex(of: "--model").map { arguments[$0 + 1] } ?? "weights/smol-135m"
    let name = arguments.firstIndex(of: "--dtype").map { arguments[$0 + 1] } ?? "bf16"
    guard let format = WeightFormat(rawValue: name) else {
        print("bench: --dtype \(name) is not one of \(WeightFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        exit(1)
    }
    let start = DispatchTime.now()
    do {
        let model = try LlamaModel(directory: URL(fileURLWithPath: directory), format: format)
        print(String(format: "loaded %@ as %@ in %.2f s (kernels: %@)", directory, name, seconds(since: start), KernelPath.selected.rawValue))
        return (directory, model)
    } catch {
        print("bench: cannot load \(directory): \(error)")
        exit(1)
    }
}

func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

/// A long prompt prefilled in chunks while other sequences decode, as the engine schedules it: the step time of
/// decode-only steps against mixed steps at growing context — what bounds inter-token latency while a long
/// prompt loads. Options: --decodes N (15), --chunk N (tokens per step, decodes included; 64), --prompt-tokens N (2048).
func runMixedBenchmark(_ arguments: [String]) {
    func option(_ name: String, _ fallback: Int) -> Int { intOption(arguments, name, fallback) }
    let (_, model) = loadModel(arguments)
    let numDecodes = option("--decodes", 15), budget = option("--chunk", 64), promptTokens = option("--prompt-tokens", 2048)
    let blockSize = 16, decodeContext = 64
    let decodeBlocks = (decodeContext + 1024) / blockSize + 1, promptBlocks = promptTokens / blockSize + 1
    let runner = ModelRunner(model: model, numBlocks: numDecodes * decodeBlocks + promptBlocks, blockSize: blockSize)
    let tables = (0..<numDecodes).map { Array($0 * decodeBlocks..<($0 + 1) * decodeBlocks) }
    let promptTable = Array(numDecodes * decodeBlocks..<numDecodes * decodeBlocks + promptBlocks)
    var generator = SystemRandomNumberGenerator()
    let prompt = (0..<promptTokens).map { _ in Int.random(in: 100..<model.config.vocabSize, using: &generator) }
    try! runner.forward(ForwardBatch(tables.map {
        ScheduledChunk(tokens: Array(prompt[0..<decodeContext]), numCachedTokens: 0, blockTable: $0, logitIndices: [decodeContext - 1])
    }))
    var step = 0
    func decodeChunks() -> [ScheduledChunk] {
        tables.map { ScheduledChunk(tokens: [7], numCachedTokens: decodeContext + step, blockTable: $0, logitIndices: [0]) }
    }
    func timedStep(_ chunks: [ScheduledChunk]) -> Double {
        let start = DispatchTime.now()
        try! runner.forward(ForwardBatch(chunks))
        step += 1
        return seconds(since: start)
    }
    let decodeTimes = (0..<8).map { _ in timedStep(decodeChunks()) }.sorted()
    print(String(format: "%d decodes alone: %.1f ms/step (median of 8)", numDecodes, decodeTimes[4] * 1000))
    let chunk = max(1, budget - numDecodes)
    var position = 0, mixedTimes: [Double] = []
    while position < promptTokens {
        let count = min(chunk, promptTokens - position)
        let prefill = ScheduledChunk(tokens: Array(prompt[position..<position + count]), numCachedTokens: position,
                                    blockTable: promptTable, logitIndices: position + count == promptTokens ? [count - 1] : [])
        mixedTimes.append(timedStep(decodeChunks() + [prefill]))
        position += count
    }
    let shown = Set(stride(from: 0, to: mixedTimes.count, by: max(1, mixedTimes.count / 6)).map { $0 } + [mixedTimes.count - 1])
    for (index, time) in mixedTimes.enumerated() where shown.contains(index) {
        print(String(format: "  + prefill chunk of %d at context %d: %.1f ms/step", chunk, index * chunk, time * 1000))
    }
    let sorted = mixedTimes.sorted()
    print(String(format: "mixed steps: median %.1f ms, max %.1f ms (%.2f× / %.2f× the decode-only step); prompt loaded in %.2f s",
                 sorted[sorted.count / 2] * 1000, sorted.last! * 1000, sorted[sorted.count / 2] / decodeTimes[4],
                 sorted.last! / decodeTimes[4], mixedTimes.reduce(0, +)))
}
