import Grammar
import Model

/// Engine-side state of one sequence between `generate` and its `.finished` event: where its events go, how
/// its tokens are picked, its output state, its speculation state and its timing. The scheduler keeps the
/// tokens and KV blocks.
struct ActiveSequence {
    let continuation: AsyncStream<GenerationEvent>.Continuation
    let numPromptTokens: Int
    /// Whether the request wants logprobs (then each `GeneratedToken` carries them).
    let wantsLogprobs: Bool
    var sampler: Sampler
    var output: SequenceOutput
    /// nil when this sequence does not speculate with a per-sequence proposer.
    var speculation: SequenceSpeculation?
    /// Where the output is in its grammar (`response_format`); nil when unconstrained.
    var grammar: GrammarMatcher?
    /// Engine clock (seconds) when `generate` accepted the request.
    let arrivalTime: Double
    /// When the last step produced tokens for it (nil before the first).
    var lastTokenTime: Double?
    /// False until the scheduler first runs this sequence; until then it counts against the waiting bound.
    var hasStarted = false
    /// Prompt tokens the prefix cache held when it first ran (where its first chunk started).
    var numCachedPromptTokens = 0
    /// Its client stopped reading: `maxBufferedEvents` events wait unread in its stream. The engine never waits
    /// for a client (that would stall every other stream of the batch) and never buffers without bound; it fails
    /// the sequence at the end of the step instead, freeing its batch slot and KV blocks.
    var isOverflowing = false

    /// Its logit rows need only their argmax (greedy, unconstrained, no logprobs): the model may skip the rest.
    var isArgmaxOnly: Bool { sampler.drawsPlainArgmax && grammar == nil && !wantsLogprobs }

    /// Slots a stream keeps beyond `maxBufferedEvents`, so its last events (a held-back tail and the finish, or
    /// the failure) always fit.
    static let reservedEvents = 2

    var usage: GenerationUsage {
        let prediction = speculation?.predictionUsage
        return GenerationUsage(
            promptTokens: numPromptTokens, completionTokens: output.numGeneratedTokens, cachedPromptTokens: numCachedPromptTokens,
            acceptedPredictionTokens: prediction?.accepted, rejectedPredictionTokens: prediction?.rejected)
    }
}
