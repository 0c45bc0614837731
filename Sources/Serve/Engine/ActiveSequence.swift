import Model

/// Engine-side state of one sequence between `generate` and its `.finished` event: where its events go,
/// how its tokens are picked, its text state and its timing. The scheduler keeps the tokens and KV blocks.
struct ActiveSequence {
    let continuation: AsyncStream<GenerationEvent>.Continuation
    let numPromptTokens: Int
    let stopTokenIds: Set<Int>
    /// Whether the request wants logprobs (then each `GeneratedToken` carries them).
    let wantsLogprobs: Bool
    var sampler: Sampler
    var output: SequenceOutput
    /// Tokens sampled so far, including a final stop token (which is never emitted).
    var numGeneratedTokens = 0
    /// Engine clock (seconds) when `generate` accepted the request.
    let arrivalTime: Double
    /// When the last token was sampled (nil before the first).
    var lastTokenTime: Double?
    /// False until the scheduler first runs this sequence; until then it counts against the waiting bound.
    var hasStarted = false

    var usage: GenerationUsage {
        GenerationUsage(promptTokens: numPromptTokens, completionTokens: numGeneratedTokens)
    }
}
