/// How the engine speculates (`--spec`, `--spec-tokens`, `--ngram-min/--ngram-max`, config.json `speculation`).
struct SpeculationConfig: Sendable, Equatable {
    enum Mode: String, Sendable, Equatable, CaseIterable, Codable {
        /// No drafts, except a request's own `prediction`.
        case off
        /// Prompt lookup in the sequence itself (`NgramProposer`).
        case ngram
        /// A smaller model with the target's vocabulary (`--draft-model`).
        case draft
    }

    var mode: Mode = .ngram
    /// Most drafts per sequence per step; the step's planner picks 0...this for each sequence.
    var maxDraftTokens = 8
    /// true: each step's drafts are chosen for the most tokens per second (`DraftLengthPlanner`); false: every
    /// sequence drafts as many as its proposer offers, up to `maxDraftTokens` (vLLM's fixed
    /// num_speculative_tokens) — for tests and for measuring what the planner saves.
    var isAdaptive = true
    var ngramMin = 2
    var ngramMax = 4
    /// Prior acceptance per draft position before a sequence has been measured (optimistic enough to try).
    var ngramPrior = 0.6
    var predictionPrior = 0.9
    var draftModelPrior = 0.7
}
