/// One sequence's running estimate of how likely each draft position is accepted, given the ones before it
/// were: `rates[i]` ≈ P(draft i accepted | drafts 0..<i accepted). Exponentially weighted, so it follows a
/// sequence whose output moves in and out of copying; while nothing is drafted it relaxes to the prior, so a
/// sequence that stopped speculating after a bad stretch gets tried again. A position never reached yet takes
/// the rate of the last one that was: a sequence that copies well is trusted with longer drafts.
public struct AcceptanceEstimate: Sendable, Equatable {
    public private(set) var rates: [Double]
    public let prior: Double
    /// Positions observed at least once.
    private var numObserved = 0
    /// Weight of the newest observation.
    static let weight = 0.2
    /// Per idle step, how far the rates move back to the prior.
    static let relaxation = 0.02

    public init(maxDraftTokens: Int, prior: Double) {
        self.prior = prior
        rates = Array(repeating: prior, count: max(0, maxDraftTokens))
    }

    /// Expected accepted drafts if `k` are proposed: Σ_{i<k} Π_{j≤i} rates[j].
    public func expectedAccepted(_ k: Int) -> Double {
        var product = 1.0, sum = 0.0
        for i in 0..<min(k, rates.count) {
            product *= rates[i]
            sum += product
        }
        return sum
    }

    /// P(the first i + 1 drafts are all accepted): the gain of adding draft i.
    public func gain(ofDraft i: Int) -> Double {
        rates.prefix(i + 1).reduce(1, *)
    }

    /// `numDrafted` drafts were verified and the first `numAccepted` accepted: positions up to the first
    /// rejection were observed, later ones were not.
    public mutating func record(numDrafted: Int, numAccepted: Int) {
        let reached = min(numDrafted, numAccepted + 1, rates.count)
        for i in 0..<reached {
            let outcome: Double = i < numAccepted ? 1 : 0
            rates[i] += Self.weight * (outcome - rates[i])
        }
        numObserved = max(numObserved, reached)
        if numObserved > 0 {
            for i in numObserved..<rates.count { rates[i] = rates[numObserved - 1] }
        }
    }

    /// A step without drafts.
    public mutating func relax() {
        for i in rates.indices { rates[i] += Self.relaxation * (prior - rates[i]) }
    }
}
