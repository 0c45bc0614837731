/// A warped next-token distribution over the vocabulary: what `Sampler.distribution` computes, what tokens are
/// drawn from and what the speculative accept test reads. Its storage is reused: filling it again for the same
/// vocabulary size allocates nothing once the support has grown to its largest size.
public struct TokenDistribution: Sendable {
    /// [vocab] probability of each token: zero outside `support`, sums to 1 up to rounding.
    public internal(set) var probabilities: [Float] = []
    /// The tokens with nonzero probability, in draw order: most likely first when top-k or top-p sorted them,
    /// else by id. Draws and the residual walk this, so they cost O(support), not O(vocab).
    public internal(set) var support: [Int] = []

    public init() {}

    /// Normalizes `weights` ([vocab], nonnegative, not all zero): for tests and hand-made distributions.
    public init(weights: [Float]) {
        let total = weights.reduce(0, +)
        probabilities = weights.map { $0 / total }
        support = weights.indices.filter { weights[$0] > 0 }
    }

    /// Number of tokens the distribution is over (0 before it is first filled).
    public var vocabularySize: Int { probabilities.count }

    /// Zero for tokens outside the support (and outside the vocabulary: a draft's may be larger).
    public func probability(of token: Int) -> Float {
        token >= 0 && token < probabilities.count ? probabilities[token] : 0
    }

    /// The token at `unit` ([0, 1)) of the cumulative distribution over `support` in its order (inverse CDF).
    public func draw(unit: Double) -> Int {
        precondition(!support.isEmpty, "draw from an empty distribution")
        // Scaled by the actual total so that rounding in the normalization cannot bias the last token.
        var total: Double = 0
        for token in support { total += Double(probabilities[token]) }
        var remaining = unit * total
        for token in support {
            remaining -= Double(probabilities[token])
            if remaining < 0 { return token }
        }
        return support[support.count - 1]
    }

    /// Sizes the storage for `vocabularySize` tokens (allocating only when that changes) and empties the
    /// support; the probabilities are left for the caller to overwrite.
    mutating func prepare(vocabularySize: Int) {
        if probabilities.count != vocabularySize { probabilities = [Float](repeating: 0, count: vocabularySize) }
        support.removeAll(keepingCapacity: true)
    }
}
