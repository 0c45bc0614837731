import Foundation

/// Picks the next tokens of one sequence, in two steps: `distribution` warps logits into the distribution to
/// draw from (penalties, temperature, min-p, top-k, top-p), and a draw keyed by the output position picks from
/// it. Holds the penalty state, which changes only through `accept`, so speculative verification can warp row
/// after row and record each token only once it stands. Sampling a step allocates nothing once its buffers
/// have grown (beyond the few reported alternatives).
public struct Sampler: Sendable {
    public let params: SamplingParams
    /// Key of every random draw: `params.seed`, or one picked at init when the request gave none.
    public let seed: UInt64
    /// Occurrences of each accepted output token (presence / frequency penalties).
    private var outputCounts: [Int: Int] = [:]
    /// Tokens of prompt and accepted output (repetition penalty).
    private var seenTokens: Set<Int>
    /// `sample`'s warped distribution, kept to reuse its storage.
    private var scratch = TokenDistribution()

    public init(params: SamplingParams, promptTokens: [Int]) {
        self.params = params
        var system = SystemRandomNumberGenerator()
        seed = params.seed ?? system.next()
        seenTokens = params.repetitionPenalty != 1 ? Set(promptTokens) : []
    }

    /// The uniform [0, 1) value of draw `stream` at output position `position` (0 = first generated token).
    public func unit(position: Int, stream: DrawStream) -> Double {
        RandomSource.unit(seed: seed, choiceIndex: params.choiceIndex, position: position, stream: stream)
    }

    /// Whether every token this sampler draws is the plain argmax of the logits (temperature 0, no penalties or
    /// logit bias, no logprobs), so a forward may find just that (`ForwardBatch.argmaxOnly`).
    public var drawsPlainArgmax: Bool { params.temperature == 0 && !params.hasPenalties && params.numTopLogprobs == nil }

    /// Records `token` as part of the output, for the penalties of the following positions.
    public mutating func accept(_ token: Int) {
        outputCounts[token, default: 0] += 1
        if params.repetitionPenalty != 1 { seenTokens.insert(token) }
    }

    /// The token for output position `position` from `logits` ([vocab]): the argmax of the penalized logits
    /// when temperature is 0, else a draw (stream `.sample`) from `distribution`. Does not record the token:
    /// call `accept` once it stands. `allowedTokens`: see `distribution`.
    public mutating func sample(
        _ logits: UnsafeBufferPointer<Float>, position: Int, allowedTokens: UnsafeBufferPointer<UInt64>? = nil
    ) -> SampledToken {
        // Moved out of self while filled (no copy): distribution(_:into:) reads self too.
        var warped = scratch
        scratch = TokenDistribution()
        distribution(logits, into: &warped, allowedTokens: allowedTokens)
        let token = warped.draw(unit: unit(position: position, stream: .sample))
        scratch = warped
        return sampledToken(token, logits: logits)
    }

    /// `token` with its logprob and the top alternatives, as asked for, from the raw `logits` ([vocab]) —
    /// whichever rule chose it (a draw, or speculative verification).
    public func sampledToken(_ token: Int, logits: UnsafeBufferPointer<Float>) -> SampledToken {
        guard let numTop = params.numTopLogprobs else { return SampledToken(token: token, logprob: nil, topLogprobs: []) }
        let logNormalizer = Self.logSumExp(logits)
        return SampledToken(
            token: token, logprob: logits[token] - logNormalizer,
            topLogprobs: Self.topIndices(logits, count: numTop).map { TokenLogprob(token: $0, logprob: logits[$0] - logNormalizer) })
    }

    /// Warps `logits` ([vocab]) into the distribution to sample from: penalties (from accepted tokens only) and
    /// the logit bias, then temperature, then min-p, top-k and top-p, normalized. Temperature 0 puts all mass on the argmax.
    /// `allowedTokens` (a constraint such as a JSON grammar; a bitset, token t is bit t % 64 of word t / 64) leaves
    /// the other tokens no mass at all, before anything else: what survives is the model's distribution renormalized
    /// over the allowed tokens. At least one token must be allowed.
    public func distribution(
        _ logits: UnsafeBufferPointer<Float>, into distribution: inout TokenDistribution,
        allowedTokens: UnsafeBufferPointer<UInt64>? = nil
    ) {
        distribution.prepare(vocabularySize: logits.count)
        // Moved out while filled, so the closure below can append to it (no copy: the storage stays unique).
        var support = distribution.support
        distribution.support = []
        distribution.probabilities.withUnsafeMutableBufferPointer { weights in
            _ = weights.update(fromContentsOf: logits)
            if let allowedTokens { Self.mask(weights, allowing: allowedTokens) }
            applyPenalties(weights)
            Self.warp(weights, support: &support, params: params)
        }
        distribution.support = support
    }

    /// -infinity for every token whose bit is clear.
    static func mask(_ logits: UnsafeMutableBufferPointer<Float>, allowing allowed: UnsafeBufferPointer<UInt64>) {
        for wordIndex in 0..<min(allowed.count, (logits.count + 63) / 64) {
            var cleared = ~allowed[wordIndex]
            while cleared != 0 {
                let token = wordIndex * 64 + cleared.trailingZeroBitCount
                guard token < logits.count else { break }
                logits[token] = -.infinity
                cleared &= cleared - 1
            }
        }
        // Tokens past the bitset are not allowed either.
        for token in min(logits.count, allowed.count * 64)..<logits.count { logits[token] = -.infinity }
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
        for (token, bias) in params.logitBias where token >= 0 && token < logits.count {
            logits[token] += bias
        }
    }

    /// Temperature, then min-p, top-k and top-p: turns `weights` ([vocab], penalized logits) into probabilities
    /// in place, zero outside the survivors, which it lists in `support` (empty on entry).
    static func warp(_ weights: UnsafeMutableBufferPointer<Float>, support: inout [Int], params: SamplingParams) {
        guard params.temperature != 0 else { return pointMass(weights, support: &support) }
        var maxLogit = -Float.infinity
        for value in weights { maxLogit = max(maxLogit, value) }
        // Unnormalized probabilities; the most likely token has 1.
        let inverseTemperature = 1 / params.temperature
        // The limits, rather than NaNs: a temperature so small that 1/T overflows is greedy, and so is a distribution
        // one token dominates infinitely (a penalty that overflowed a logit; or nothing allowed at all).
        guard inverseTemperature.isFinite, maxLogit.isFinite else { return pointMass(weights, support: &support) }
        var total: Float = 0
        for i in weights.indices {
            weights[i] = expf((weights[i] - maxLogit) * inverseTemperature)
            total += weights[i]
        }

        // Survivors are always the most likely tokens. Without top-k or top-p they are all tokens above the
        // min-p floor, in id order. With them, scan thresholds from high to low until the set above one holds
        // enough tokens for top-k and enough mass for top-p; sorting that small set is then exact.
        let floor = max(params.minP, 0)  // min-p: relative to the top probability, which is 1 here
        let wantsTopK = params.topK > 0 && params.topK < weights.count
        let wantsTopP = params.topP < 1
        var threshold: Float = wantsTopK || wantsTopP ? max(0.1, floor) : floor
        while true {
            support.removeAll(keepingCapacity: true)
            var mass: Float = 0
            for i in weights.indices where weights[i] >= threshold && weights[i] > 0 {
                support.append(i)
                mass += weights[i]
            }
            let enoughForTopK = !wantsTopK || support.count >= params.topK
            let enoughForTopP = !wantsTopP || mass >= params.topP * total
            if threshold <= floor || (enoughForTopK && enoughForTopP) { break }
            threshold = max(threshold * 0.01, floor)
            if threshold < 1e-30 { threshold = floor }
        }
        // Below the final threshold nothing survives (`!(≥)` also clears NaN).
        for i in weights.indices where !(weights[i] >= threshold) { weights[i] = 0 }
        guard !support.isEmpty else { return pointMass(weights, support: &support) }  // only NaN logits get here

        if wantsTopK || wantsTopP {
            support.sort { weights[$0] > weights[$1] || (weights[$0] == weights[$1] && $0 < $1) }
        }
        var keep = support.count
        if wantsTopK { keep = min(keep, params.topK) }
        if wantsTopP {
            var keptMass: Float = 0
            for token in support[..<keep] { keptMass += weights[token] }
            let target = params.topP * (params.topK > 0 || params.minP > 0 ? keptMass : total)
            var cumulative: Float = 0
            var numKept = 0
            while numKept < keep {
                cumulative += weights[support[numKept]]
                numKept += 1
                if cumulative >= target { break }
            }
            keep = numKept
        }
        for token in support[keep...] { weights[token] = 0 }
        support.removeLast(support.count - keep)

        var keptMass: Float = 0
        for token in support { keptMass += weights[token] }
        for token in support { weights[token] /= keptMass }
    }

    /// All mass on the argmax (ties: lowest id, as torch.argmax): greedy decoding.
    private static func pointMass(_ weights: UnsafeMutableBufferPointer<Float>, support: inout [Int]) {
        let best = argmax(weights)
        weights.update(repeating: 0)
        weights[best] = 1
        support.removeAll(keepingCapacity: true)
        support.append(best)
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
