/// Why `Scheduler.add` refused a request. Nothing is queued when it throws.
public enum SchedulerError: Error, Equatable, Sendable {
    /// The waiting queue already holds `limit` requests (HTTP: 503 + Retry-After).
    case queueFull(limit: Int)
    /// A live sequence already has this id.
    case duplicateID(SequenceID)
    /// `numTokens` = prompt + maxNewTokens can never fit the KV pool of `maxTokens` tokens, even alone.
    case promptTooLong(numTokens: Int, maxTokens: Int)
    /// The prompt has no tokens: there is nothing to run a forward on.
    case emptyPrompt(SequenceID)
    /// maxNewTokens must be at least 1.
    case invalidMaxNewTokens(Int)
}
