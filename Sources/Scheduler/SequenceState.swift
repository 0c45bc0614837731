/// The scheduler's record of one live sequence, waiting or running.
///
/// Token layout: `tokens` = prompt + generated. While decoding, every token but the last sampled one is in the
/// KV cache (`numCachedTokens == tokens.count - 1`); the next step feeds that last token. A preempted
/// sequence drops its cache and, when readmitted, prefills all of `tokens` again (recompute).
struct SequenceState: Sendable, Equatable {
    let id: SequenceID
    let arrivalTime: Double
    /// Position in `add` order; breaks arrival-time ties so FIFO is total.
    let addOrder: Int
    let numPromptTokens: Int
    let maxNewTokens: Int
    /// Prompt followed by every generated token so far.
    var tokens: [Int]
    /// Positions already written to this sequence's KV blocks.
    var numCachedTokens = 0
    /// Tokens this admission prefills: `tokens.count` at the moment it was (re)admitted; 0 while waiting.
    var numPrefillTokens = 0
    var blockTable: [Int] = []
    var isRunning = false

    init(request: SequenceRequest, addOrder: Int) {
        id = request.id
        arrivalTime = request.arrivalTime
        self.addOrder = addOrder
        numPromptTokens = request.promptTokens.count
        maxNewTokens = request.maxNewTokens
        tokens = request.promptTokens
    }

    var numGeneratedTokens: Int { tokens.count - numPromptTokens }
    /// Running and not yet through this admission's prefill (its steps produce no token until the last chunk).
    var isPrefilling: Bool { isRunning && numCachedTokens < numPrefillTokens }
}
