import Foundation
import Model
import Scheduler
import Tokenizer

/// `bench perplexity`: what a weight format costs in quality, measured the way llama.cpp's `llama-perplexity`
/// measures it, so the numbers sit next to its own.
///
/// The whole text is tokenized once (BOS only if the tokenizer adds one; SmolLM2's doesn't) and cut into
/// `numChunks = numTokens / ctx` chunks of `ctx` tokens. Each chunk runs from an empty cache; only its second half
/// is scored: rows first..<ctx-1 (first = ctx/2), each row's negative log-likelihood of the token after it.
/// When the tokenizer adds BOS, each chunk's first token is replaced by BOS, as llama-perplexity does.
/// perplexity = exp(mean NLL). Every format runs in this process next to bf16, so each scored row also gives
/// KL(P_bf16 ‖ P_format) and whether both put the same token on top. Log-softmax and KL are computed in f64
/// over the whole vocabulary (llama.cpp stores the base log-probs in 16 bits and skips p < e^-16: it differs
/// from ours in about the fourth significant digit).
///
/// Options: --model DIR (weights/smol-135m), --text FILE (scripts/data/persuasion-ch1-3.txt),
/// --dtype q8_0,q4_0 (formats compared with bf16), --ctx N (512), --chunks N (all).
func runPerplexityBenchmark(_ arguments: [String]) {
    func value(_ name: String) -> String? {
        arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
    }
    let directory = value("--model") ?? "weights/smol-135m"
    let textPath = value("--text") ?? "scripts/data/persuasion-ch1-3.txt"
    let ctx = value("--ctx").flatMap { Int($0) } ?? 512
    let maxChunks = value("--chunks").flatMap { Int($0) }
    var formats: [WeightFormat] = []
    for name in (value("--dtype") ?? "q8_0,q4_0").split(separator: ",") {
        guard let format = WeightFormat(rawValue: String(name)) else {
            fail("unknown --dtype \(name); one of \(WeightFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if format != .bf16 && !formats.contains(format) { formats.append(format) }
    }
    guard ctx >= 4, ctx % 2 == 0 else { fail("--ctx must be even and at least 4 (got \(ctx))") }

    let modelURL = URL(fileURLWithPath: directory)
    guard let text = try? String(contentsOfFile: textPath, encoding: .utf8) else { fail("cannot read \(textPath) as UTF-8") }
    let tokenizer: Tokenizer
    do { tokenizer = try Tokenizer(directory: modelURL) } catch { fail("cannot load the tokenizer of \(directory): \(error)") }
    let tokens = tokenizer.encode(text)
    let bos = tokenizer.encode("").first  // set only when the tokenizer adds BOS
    guard tokens.count >= 2 * ctx else {
        fail("\(textPath) has \(tokens.count) tokens; --ctx \(ctx) needs at least \(2 * ctx) (as llama-perplexity)")
    }
    let numChunks = min(tokens.count / ctx, maxChunks ?? Int.max)

    var runners: [(format: WeightFormat, runner: ModelRunner)] = []
    for format in [WeightFormat.bf16] + formats {
        do {
            let model = try LlamaModel(directory: modelURL, format: format)
            runners.append((format, ModelRunner(model: model, numBlocks: (ctx + 15) / 16, blockSize: 16)))
        } catch {
            if format == .bf16 { fail("cannot load \(directory): \(error)") }
            say("\(format.rawValue): skipped, the model does not load: \(error)")
        }
    }
    let first = ctx / 2
    let scoredRows = Array(first..<(ctx - 1))
    say("\(textPath): \(tokens.count) tokens, \(numChunks) chunks of \(ctx), scoring \(scoredRows.count) tokens per chunk, "
        + (bos.map { "BOS \($0) first in each chunk" } ?? "no BOS"))

    var scores = runners.map { _ in FormatScore() }
    let vocab = runners[0].runner.model.config.vocabSize
    var base = [Double](repeating: 0, count: scoredRows.count * vocab)  // bf16 log-probs of the chunk [rows, vocab]
    var baseTop = [Int](repeating: 0, count: scoredRows.count)
    var other = [Double](repeating: 0, count: vocab)
    let started = DispatchTime.now()
    for chunk in 0..<numChunks {
        var chunkTokens = Array(tokens[(chunk * ctx)..<((chunk + 1) * ctx)])
        if let bos { chunkTokens[0] = bos }
        for (index, (_, runner)) in runners.enumerated() {
            do {
                try runner.forward(ForwardBatch([ScheduledChunk(
                    tokens: chunkTokens, numCachedTokens: 0, blockTable: Array(0..<runner.cache.numBlocks), logitIndices: scoredRows)]))
            } catch { fail("forward of chunk \(chunk): \(error)") }
            for (row, position) in scoredRows.enumerated() {
                let next = chunkTokens[position + 1]
                if index == 0 {
                    base.withUnsafeMutableBufferPointer { all in
                        let out = UnsafeMutableBufferPointer(rebasing: all[(row * vocab)..<((row + 1) * vocab)])
                        baseTop[row] = runner.withLogits(row: row) { logSoftmax($0, into: out) }
                        scores[0].add(nll: -out[next])
                    }
                } else {
                    let top = other.withUnsafeMutableBufferPointer { out in runner.withLogits(row: row) { logSoftmax($0, into: out) } }
                    let kl = base.withUnsafeBufferPointer { all in
                        klDivergence(UnsafeBufferPointer(rebasing: all[(row * vocab)..<((row + 1) * vocab)]), other)
                    }
                    scores[index].add(nll: -other[next], kl: kl, sameTop: top == baseTop[row])
                }
            }
        }
        let elapsed = seconds(since: started)
        FileHandle.standardError.write(Data(String(format: "[%d/%d] %@ (%.1f s/chunk)\n", chunk + 1, numChunks,
            zip(runners, scores).map { String(format: "%@ %.4f", $0.format.rawValue, $1.perplexity) }.joined(separator: ", "),
            elapsed / Double(chunk + 1)).utf8))
    }

    say("")
    say("format   PPL                  ΔPPL      mean KL    KL p99     top-1")
    let basePPL = scores[0].perplexity
    for (index, ((format, _), score)) in zip(runners, scores).enumerated() {
        let ppl = String(format: "%.4f ± %.4f", score.perplexity, score.perplexityError)
        if index == 0 {
            say(format.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0) + ppl.padding(toLength: 21, withPad: " ", startingAt: 0)
                  + "-         -          -          -")
        } else {
            say(format.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0) + ppl.padding(toLength: 21, withPad: " ", startingAt: 0)
                  + String(format: "%+-9.3f %-10.6f %-10.6f %.2f%%", (score.perplexity / basePPL - 1) * 100, score.meanKL,
                           score.klPercentile(0.99), score.topAgreement * 100))
        }
    }
    say("(ΔPPL in %; KL(P_bf16 ‖ P_format) in nats per token; top-1: same most likely token as bf16; over \(scores[0].count) tokens)")
}

/// Running totals for one format over the scored tokens.
private struct FormatScore {
    var count = 0
    var sumNLL = 0.0, sumNLL2 = 0.0
    var kls: [Double] = []
    var numSameTop = 0

    mutating func add(nll: Double, kl: Double? = nil, sameTop: Bool = false) {
        count += 1
        sumNLL += nll
        sumNLL2 += nll * nll
        if let kl { kls.append(kl) }
        if sameTop { numSameTop += 1 }
    }

    var perplexity: Double { exp(sumNLL / Double(max(count, 1))) }
    /// llama-perplexity's "±": the standard error of the mean NLL carried through exp.
    var perplexityError: Double {
        guard count > 1 else { return 0 }
        let mean = sumNLL / Double(count), variance = sumNLL2 / Double(count) - mean * mean
        return variance > 0 ? (variance / Double(count - 1)).squareRoot() * perplexity : 0
    }
    var meanKL: Double { kls.isEmpty ? 0 : kls.reduce(0, +) / Double(kls.count) }
    var topAgreement: Double { kls.isEmpty ? 0 : Double(numSameTop) / Double(kls.count) }
    /// Interpolated between neighbours, as llama-perplexity's "99.0%   KLD".
    func klPercentile(_ q: Double) -> Double {
        guard !kls.isEmpty else { return 0 }
        let sorted = kls.sorted()
        let position = q * Double(sorted.count - 1), lower = Int(position), fraction = position - Double(lower)
        return (1 - fraction) * sorted[lower] + fraction * sorted[min(lower + 1, sorted.count - 1)]
    }
}

/// Writes log-softmax(logits) in f64 into `out` and returns the index of the largest logit (first on ties).
private func logSoftmax(_ logits: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Double>) -> Int {
    var top = 0
    for i in 1..<logits.count where logits[i] > logits[top] { top = i }
    let maximum = Double(logits[top])
    var sum = 0.0
    for i in 0..<logits.count { sum += exp(Double(logits[i]) - maximum) }
    let logSum = maximum + log(sum)
    for i in 0..<logits.count { out[i] = Double(logits[i]) - logSum }
    return top
}

/// KL(P ‖ Q) = Σ p (log p − log q) from log-probabilities.
private func klDivergence(_ logP: UnsafeBufferPointer<Double>, _ logQ: [Double]) -> Double {
    var sum = 0.0
    for i in 0..<logP.count { sum += exp(logP[i]) * (logP[i] - logQ[i]) }
    return sum
}

/// A line on stdout, written at once so it stays in order with the progress lines on stderr.
private func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

private func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("bench perplexity: \(message)\n".utf8))
    exit(1)
}
