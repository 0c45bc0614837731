/// What verifying one draft token decided.
public enum DraftVerdict: Sendable, Equatable {
    /// The draft token stands; verification goes on to the next row.
    case accepted(Int)
    /// The draft token is rejected; `replacement` takes its place and ends the round.
    case rejected(replacement: Int)

    /// The token committed at this position either way.
    public var token: Int {
        switch self {
        case .accepted(let token), .rejected(replacement: let token): token
        }
    }
}

/// Speculative sampling (Leviathan et al. 2023; Chen et al. 2023): a draft model proposes k tokens, each
/// d ~ q, and the target checks them in one forward so that every committed token is distributed exactly as
/// if drawn from the target's p. Per row, left to right, with p and q this position's warped distributions:
///
///     q(d) <= p(d): accept d.
///     q(d) >  p(d): accept d with probability p(d) / q(d).
///     rejected:     draw the replacement from norm(max(0, p − q)) — the mass p has where q fell short — and
///                   end the round (later rows saw a context that is now wrong).
///     all accepted: one bonus token from the last row's p: `Sampler.sample(_:position:)`.
///
/// p and q are warped alike (temperature, top-k, top-p, min-p, penalties) by each model's `Sampler`; the rule
/// is exact for whatever q the draft really drew from. The target `Sampler.accept`s each token before the next
/// row's p is computed, so penalties see the accepted prefix. The units come from the target's keyed draws at
/// the row's output position (`.accept`, `.residual`; the draft drew d with `.draft`), so none depends on how
/// many drafts earlier rounds threw away.
///
/// Drafts without probabilities (n-gram lookup, a user's predicted output) need no rule of their own: the
/// target's token at each row is `Sampler.sample(logits, position:)`; accept while it equals the draft, the
/// first mismatch is the replacement, and after k matches the last row's sample is the bonus. That is ordinary
/// sampling position by position, so the output is exactly what decoding without drafts gives for the seed.
public enum SpeculativeVerification {
    /// The verdict on draft token `draft`, drawn from `q`, against the target's `p`; `acceptUnit` and
    /// `residualUnit` are independent uniforms in [0, 1).
    public static func verify(draft: Int, target p: TokenDistribution, draft q: TokenDistribution,
                              acceptUnit: Double, residualUnit: Double) -> DraftVerdict {
        let pDraft = Double(p.probability(of: draft))
        let qDraft = Double(q.probability(of: draft))
        assert(qDraft > 0, "draft token \(draft) has probability 0 under the draft's own distribution")
        // u < min(1, p/q), written without the division: u < 1 always accepts when p >= q.
        if acceptUnit * qDraft < pDraft { return .accepted(draft) }

        // Residual max(0, p − q): zero wherever p is, so walking p's support covers it.
        var total: Double = 0
        for token in p.support { total += max(0, Double(p.probabilities[token]) - Double(q.probability(of: token))) }
        // p == q up to rounding leaves no residual (and a rejection only by rounding): p itself is the answer.
        guard total > 0 else { return .rejected(replacement: p.draw(unit: residualUnit)) }
        var remaining = residualUnit * total
        var last = draft
        for token in p.support {
            let excess = Double(p.probabilities[token]) - Double(q.probability(of: token))
            guard excess > 0 else { continue }
            last = token
            remaining -= excess
            if remaining < 0 { return .rejected(replacement: token) }
        }
        return .rejected(replacement: last)
    }
}

extension Sampler {
    /// `SpeculativeVerification.verify` with this sampler's keyed units for output position `position`.
    public func verify(draft: Int, target: TokenDistribution, draftDistribution: TokenDistribution,
                       position: Int) -> DraftVerdict {
        SpeculativeVerification.verify(
            draft: draft, target: target, draft: draftDistribution,
            acceptUnit: unit(position: position, stream: .accept),
            residualUnit: unit(position: position, stream: .residual))
    }
}
