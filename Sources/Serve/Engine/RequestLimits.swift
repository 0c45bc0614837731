/// How many tokens one request may occupy, and the one check of a request against it. The controllers run it before
/// any stream starts (naming the request field that broke it); `LlamaBatchEngine.generate` runs the same check for
/// callers that are not the HTTP layer. The scheduler's own refusal is then a bug, never a client's error.
struct RequestLimits: Sendable, Equatable {
    /// Longest sequence (prompt + completion) in tokens: the model's context, or less when the KV cache cannot hold
    /// that many tokens for one sequence.
    var maxModelLen: Int

    /// Throws unless the prompt has tokens and `numPromptTokens + maxTokens` fits `maxModelLen`.
    func check(numPromptTokens: Int, maxTokens: Int) throws(RequestLimitError) {
        guard numPromptTokens > 0 else { throw .emptyPrompt }
        // A prompt filling the context is fine only when nothing is to be generated (echo with max_tokens 0).
        guard numPromptTokens < maxModelLen || (numPromptTokens == maxModelLen && maxTokens <= 0) else {
            throw .promptTooLong(promptTokens: numPromptTokens, maxModelLen: maxModelLen)
        }
        // Written so that a huge maxTokens cannot overflow.
        guard maxTokens <= maxModelLen - numPromptTokens else {
            throw .contextLengthExceeded(promptTokens: numPromptTokens, maxTokens: maxTokens, maxModelLen: maxModelLen)
        }
    }

    /// The completion budget when the request names none: up to the end of the context (at least one token, so a
    /// prompt that fills the context is refused by `check` as too long rather than given nothing to generate).
    func defaultMaxTokens(numPromptTokens: Int) -> Int { max(1, maxModelLen - numPromptTokens) }
}

/// Why a request does not fit `RequestLimits`.
enum RequestLimitError: Error, Equatable {
    case emptyPrompt
    /// The prompt alone leaves no room for one generated token.
    case promptTooLong(promptTokens: Int, maxModelLen: Int)
    case contextLengthExceeded(promptTokens: Int, maxTokens: Int, maxModelLen: Int)
}

extension APIError {
    /// 400 naming the request field at fault: `promptParam` (prompt, messages) or `maxTokensParam` (max_tokens,
    /// max_completion_tokens).
    init(_ error: RequestLimitError, promptParam: String, maxTokensParam: String) {
        switch error {
        case .emptyPrompt:
            self = .invalidRequest("The prompt is empty: at least one token is needed.", param: promptParam)
        case .promptTooLong(let promptTokens, let maxModelLen):
            self = .invalidRequest(
                "This model's maximum context length is \(maxModelLen) tokens, but the prompt has \(promptTokens) "
                    + "tokens, leaving no room for a completion. Shorten the prompt.",
                param: promptParam, code: "context_length_exceeded")
        case .contextLengthExceeded(let promptTokens, let maxTokens, let maxModelLen):
            self = .invalidRequest(
                "This model's maximum context length is \(maxModelLen) tokens, but \(promptTokens) prompt tokens plus "
                    + "\(maxTokensParam) \(maxTokens) were requested. Shorten the prompt or lower \(maxTokensParam).",
                param: maxTokensParam, code: "context_length_exceeded")
        }
    }
}
