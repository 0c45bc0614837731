/// Chooses each decoding sequence's number of drafts for a step to maximise expected tokens per second:
/// (numDecodes + Σ accepted drafts) / t(rows), with rows = the step's other tokens + the drafts, t measured
/// online (`StepTimeModel`) and each draft's worth the probability it and all before it are accepted
/// (`AcceptanceEstimate`). A compute-bound batch whose drafts are rarely accepted gets none; acceptance alone
/// is not the signal, the measured cost of the rows is (vLLM measured 0.86-0.91 acceptance at every batch
/// size while the best choice flipped from +23% to -16%).
public enum DraftLengthPlanner {
    public struct Candidate: Sendable {
        public var id: SequenceID
        /// Drafts the proposer offers (an upper bound).
        public var numOffered: Int
        public var acceptance: AcceptanceEstimate

        public init(id: SequenceID, numOffered: Int, acceptance: AcceptanceEstimate) {
            self.id = id
            self.numOffered = numOffered
            self.acceptance = acceptance
        }
    }

    /// - Parameters:
    ///   - numDecodes: sequences decoding this step (each yields one token without drafts).
    ///   - baseRows: the step's rows without drafts (decodes + expected prefill tokens).
    ///   - maxDraftRows: budget for drafts in this step.
    ///   - extraSeconds: cost of proposing `n` drafts (a draft model's forwards), 0 for n-gram and predictions.
    /// - Returns: drafts per sequence; sequences that get none are absent.
    public static func choose(
        _ candidates: [Candidate], numDecodes: Int, baseRows: Int, maxDraftRows: Int, timeModel: StepTimeModel,
        extraSeconds: (_ numDrafts: Int, _ maxPerSequence: Int) -> Double = { _, _ in 0 }
    ) -> [SequenceID: Int] {
        guard numDecodes > 0, maxDraftRows > 0, let baseTime = timeModel.estimate(rows: baseRows) else { return [:] }
        // Every sequence's gains fall with the draft index, so taking drafts in descending gain order keeps
        // each sequence's chosen drafts a prefix.
        var gains: [(gain: Double, id: SequenceID)] = []
        for candidate in candidates {
            for i in 0..<min(candidate.numOffered, candidate.acceptance.rates.count) {
                gains.append((candidate.acceptance.gain(ofDraft: i), candidate.id))
            }
        }
        gains.sort { $0.gain > $1.gain }
        var best = (value: Double(numDecodes) / baseTime, count: 0)
        var tokens = Double(numDecodes)
        var perSequence: [SequenceID: Int] = [:]
        var longest = 0
        for (n, item) in gains.prefix(maxDraftRows).enumerated() {
            tokens += item.gain
            perSequence[item.id, default: 0] += 1
            longest = max(longest, perSequence[item.id]!)
            guard let time = timeModel.estimate(rows: baseRows + n + 1) else { break }
            let value = tokens / (time + extraSeconds(n + 1, longest))
            if value > best.value { best = (value, n + 1) }
        }
        var chosen: [SequenceID: Int] = [:]
        for item in gains.prefix(best.count) { chosen[item.id, default: 0] += 1 }
        return chosen
    }
}
