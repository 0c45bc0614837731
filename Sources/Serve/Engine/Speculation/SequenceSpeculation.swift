import Scheduler

/// One sequence's speculation state, apart from its request and output state: where drafts come from (its
/// `prediction`, else n-gram lookup in its own tokens), the tokens those proposers read, and how well its
/// drafts have been accepted so far.
struct SequenceSpeculation: Sendable {
    private(set) var tokens: [Int]
    let numPromptTokens: Int
    private var prediction: PredictionProposer?
    private let ngram: NgramProposer?
    /// Whether the last proposal came from the prediction (then acceptance is reported back to it).
    private var lastFromPrediction = false
    private(set) var acceptance: AcceptanceEstimate

    /// nil when the sequence has nothing to draft from (speculation off or draft-model mode, and no prediction).
    init?(promptTokens: [Int], predictionTokens: [Int]?, config: SpeculationConfig) {
        let hasPrediction = !(predictionTokens ?? []).isEmpty
        guard hasPrediction || config.mode == .ngram else { return nil }
        tokens = promptTokens
        numPromptTokens = promptTokens.count
        prediction = hasPrediction ? PredictionProposer(prediction: predictionTokens!) : nil
        ngram = config.mode == .ngram ? NgramProposer(minN: config.ngramMin, maxN: config.ngramMax) : nil
        acceptance = AcceptanceEstimate(
            maxDraftTokens: config.maxDraftTokens, prior: hasPrediction ? config.predictionPrior : config.ngramPrior)
    }

    /// Up to `maxTokens` drafts: the prediction's, else the n-gram lookup's.
    mutating func propose(maxTokens: Int) -> [Int] {
        if var proposer = prediction {
            let draft = proposer.propose(after: tokens, numPromptTokens: numPromptTokens, maxTokens: maxTokens)
            prediction = proposer
            lastFromPrediction = !draft.isEmpty
            if !draft.isEmpty { return draft }
        }
        return ngram?.propose(after: tokens, numPromptTokens: numPromptTokens, maxTokens: maxTokens) ?? []
    }

    /// A step verified `numDrafted` drafts (0: none) and kept `newTokens` (accepted drafts, then the sampled one).
    mutating func record(numDrafted: Int, numAccepted: Int, newTokens: [Int]) {
        tokens.append(contentsOf: newTokens)
        guard numDrafted > 0 else {
            acceptance.relax()
            return
        }
        acceptance.record(numDrafted: numDrafted, numAccepted: numAccepted)
        if lastFromPrediction { prediction?.observe(numAccepted: numAccepted) }
    }

    /// OpenAI's usage details for a request with a prediction.
    var predictionUsage: (accepted: Int, rejected: Int)? {
        prediction.map { ($0.numAcceptedTokens, $0.numRejectedTokens) }
    }
}
