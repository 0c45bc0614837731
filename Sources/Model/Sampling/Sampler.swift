import Foundation

/// Picks the next tokens of one sequence. Holds that sequence's random state and the token counts
/// penalties need; its work buffers are allocated once, so sampling a step allocates nothing
/// (beyond the few reported alternatives).
public struct Sampler: Sendable {
    public let params: SamplingParams
    private var random: RandomSource
    /// Occurrences of each token in the output so far (presence / frequency penalties).
    private var outputCounts: [Int: Int] = [:]
    /// Tokens of prompt and output (repetition penalty).
    private var seenTokens: Set<Int>
    private var work: [Float] = []        // [vocab] adjusted logits, then probabilities
    private var candidates: [Int] = []    // token ids that survive filtering

    public init(params: SamplingParams, promptTokens: [Int]) {
        self.params = params
        var system = SystemRandomNumberGenerator()
        random = RandomSource(seed: params.seed ?? system.next())
        seenTokens = params.repetitionPenalty != 1 ? Set(promptTokens) : []
    }

    /// Samples from `logits` ([vocab]) and records the token for later penalties.
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> SampledToken {
        let vocab = logits.count
        // Moved out of self while in use (no copy): draw() mutates self too.
        var buffer = work
        work = []
        if buffer.count != vocab { buffer = [Float](repeating: 0, count: vocab) }
        let token = buffer.withUnsafeMutableBufferPointer { adjusted in
            _ = adjusted.initialize(from: logits)
            applyPenalties(adjusted)
            return params.temperature == 0 ? Self.argmax(adjusted) : draw(adjusted)
        }
        work = buffer
        outputCounts[token, default: 0] += 1
        if params.repetitionPenalty != 1 { seenTokens.insert(token) }
        guard let numTop = params.numTopLogprobs else { return SampledToken(token: token, logprob: nil, topLogprobs: []) }
        let logNormalizer = Self.logSumExp(logits)
        return SampledToken(
            token: token, logprob: logits[token] - logNormalizer,
            topLogprobs: Self.topIndices(logits, count: numTop).map { TokenLogprob(token: $0, logprob: logits[$0] - logNormalizer) })
    }

    private func applyPenalties(_ logits: UnsafeMutableBufferPointer<Float>) {
        guard params.hasPenalties else { return }
        if params.repetitionPenalty != 1 {
            for token in seenTokens where token < logits.count {
                logits[token] = logits[token] > 0 ? logits[token] / params.repetitionPenalty : logits[token] * params.repetitionPenalty
            }
        }
        for (token, count) in outputCounts where token < logits.count {
            logits[token] -= params.frequencyPenalty * Float(count) + params.presencePenalty
        }
    }

    /// Temperature, then min-p, top-k and top-p filtering, then one draw.
    private mutating func draw(_ logits: UnsafeMutableBufferPointer<Float>) -> Int {
        var maxLogit = -Float.infinity
        for value in logits { maxLogit = max(maxLogit, value) }
        // Unnormalized probabilities; the most likely token has 1.
        let inverseTemperature = 1 / params.temperature
        for i in logits.indices { logits[i] = expf((logits[i] - maxLogit) * inverseTemperature) }
        var total: Float = 0
        for p in logits { total += p }

        // Survivors are always the most likely tokens, so scan thresholds from high to low until the
        // set above one holds enough mass for top-p (then sorting that small set is exact).
        let floor = max(params.minP, 0)  // min-p: relative to the top probability, which is 1 here
        let wantsTopK = params.topK > 0 && params.topK < logits.count
        var threshold: Float = max(0.1, floor)
        while true {
            candidates.removeAll(keepingCapacity: true)
            var mass: Float = 0
            for i in logits.indices where logits[i] >= threshold {
                candidates.append(i)
                mass += logits[i]
            }
            let enoughForTopK = !wantsTopK || candidates.count >= params.topK
            if threshold <= floor || (mass >= params.topP * total && enoughForTopK) { break }
            threshold = max(threshold * 0.01, floor)
            if threshold < 1e-30 { threshold = floor }
        }
        candidates.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        if wantsTopK, candidates.count > params.topK { candidates.removeLast(candidates.count - params.topK) }
        if params.topP < 1 {
            let keptMass = candidates.reduce(Float(0)) { $0 + logits[$1] }
            let target = params.topP * (params.topK > 0 || params.minP > 0 ? keptMass : total)
            var cumulative: Float = 0
            var keep = 0
            while keep < candidates.count {
                cumulative += logits[candidates[keep]]
                keep += 1
                if cumulative >= target { break }
            }
            candidates.removeLast(candidates.count - keep)
        }
        var remaining = Float(random.nextUnit()) * candidates.reduce(Float(0)) { $0 + logits[$1] }
        for token in candidates {
            remaining -= logits[token]
            if remaining < 0 { return token }
        }
        return candidates.last!
    }

    static func argmax(_ values: UnsafeMutableBufferPointer<Float>) -> Int {
        var best = 0
        for i in 1..<values.count where values[i] > values[best] { best = i }
        return best
    }

    static func logSumExp(_ values: UnsafeBufferPointer<Float>) -> Float {
        var maxValue = -Float.infinity
        for v in values { maxValue = max(maxValue, v) }
        var sum: Float = 0
        for v in values { sum += expf(v - maxValue) }
        return maxValue + logf(sum)
    }

    /// Indices of the `count` largest values, largest first.
    static func topIndices(_ values: UnsafeBufferPointer<Float>, count: Int) -> [Int] {
        guard count > 0 else { return [] }
        var top: [Int] = []
        top.reserveCapacity(count + 1)
        for i in values.indices {
            if top.count == count, values[i] <= values[top[count - 1]] { continue }
            let position = top.firstIndex { values[i] > values[$0] } ?? top.count
            top.insert(i, at: position)
            if top.count > count { top.removeLast() }
        }
        return top
    }
}
