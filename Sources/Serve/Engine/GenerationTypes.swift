import Grammar
import Model

// The contract between the HTTP layer and the engine. HTTP turns one OpenAI request into one
// `GenerationRequest` per choice (n > 1 fans out) and consumes each `AsyncStream<GenerationEvent>`.

/// One sequence to generate.
struct GenerationRequest: Sendable {
    var promptTokens: [Int]
    var maxTokens: Int
    var sampling: SamplingParams
    /// Generation ends when the text would contain one of these; the stop string itself and anything
    /// after it is never emitted, and text that could still become a stop string is held back.
    var stopStrings: [String] = []
    /// Generation ends on these tokens (eos); they are not emitted. Empty with `ignore_eos`.
    var stopTokenIds: Set<Int> = []
    var skipSpecialTokens: Bool = true
    /// OpenAI's Predicted Outputs: the expected output (e.g. the text being edited), tokenized; drafts come
    /// from it. Never changes the output, only its speed.
    var predictionTokens: [Int]? = nil
    /// false: this request never speculates (its steps carry no drafts), whatever the server's mode.
    var allowsSpeculation: Bool = true
    /// `response_format` json_object / json_schema: every token is drawn from those the grammar allows, and the
    /// sequence ends (eos) exactly when the JSON value is complete.
    var grammar: CompiledGrammar? = nil
}

/// A generated token with what `logprobs` responses need.
struct GeneratedToken: Sendable, Equatable {
    var token: Int
    /// This token's text on its own (for logprobs' `tokens` / `top_logprobs`).
    var text: String
    /// nil unless the request asked for logprobs.
    var logprob: Float?
    var topLogprobs: [TokenLogprob] = []
}

struct GenerationUsage: Sendable, Equatable {
    var promptTokens: Int
    var completionTokens: Int
    /// Prompt tokens read from the prefix cache instead of computed (at the sequence's first admission).
    var cachedPromptTokens: Int = 0
    /// With a prediction: its tokens that appeared in the output (accepted as drafts), and the others.
    var acceptedPredictionTokens: Int? = nil
    var rejectedPredictionTokens: Int? = nil
}

enum GenerationEvent: Sendable, Equatable {
    /// New text (never splitting a UTF-8 character; may be "" while text is held back) and the tokens
    /// sampled since the last delta.
    case delta(text: String, tokens: [GeneratedToken])
    /// The last event of a sequence that completed. `.stop` = eos or a stop string, `.length` = max tokens (or the
    /// context) reached.
    case finished(GenerationFinishReason, GenerationUsage)
    /// The last event of a sequence that could not complete (the forward pass failed, the server shut down before
    /// it finished): an error, never dressed up as a finish.
    case failed(GenerationFailure)
}

/// Why a sequence ended without completing; reaches the client as a 5xx or a stream's error event.
struct GenerationFailure: Error, Sendable, Equatable {
    enum Kind: String, Sendable {
        /// The model failed (e.g. a forward pass threw).
        case engineError = "engine_error"
        /// The server stopped before the sequence finished (shutdown grace period over).
        case shuttingDown = "shutting_down"
        /// The client stopped reading its stream (see `EngineConfig.maxBufferedEvents`).
        case slowClient = "slow_client"
    }

    var kind: Kind
    var message: String
}

enum GenerationFinishReason: String, Sendable, Equatable {
    case stop
    case length
}

enum EngineError: Error, Equatable {
    /// The waiting queue is full: HTTP answers 503 with Retry-After.
    case overloaded(limit: Int)
    /// The request does not fit `RequestLimits` (context length or the KV cache): HTTP answers 400.
    case limitExceeded(RequestLimitError)
    case shuttingDown
}

/// What the HTTP layer needs from whatever generates tokens. The real engine runs continuous batching
/// on its own thread; tests use fakes.
protocol GenerationEngine: Sendable {
    /// Queues the request and returns its events. When the consumer stops listening (the stream is
    /// terminated, e.g. the client disconnected) the engine cancels the sequence within one step.
    func generate(_ request: GenerationRequest) throws(EngineError) -> AsyncStream<GenerationEvent>
    /// The server is shutting down: refuse new requests, give those in flight a grace period. Idempotent.
    func beginShutdown()
}

extension GenerationEngine {
    func beginShutdown() {}
}
