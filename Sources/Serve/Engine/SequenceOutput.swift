import Tokenizer

/// The output side of one sequence: decides which of a step's new tokens are kept and whether the sequence
/// is finished — eos / stop ids, stop strings, max tokens, in that order per token, all here — and turns kept
/// tokens into text (incremental detokenization, stop strings held back). Knows nothing of the model, the
/// scheduler or the stream it feeds.
struct SequenceOutput: Sendable {
    /// What `accept` made of a step's tokens.
    struct Accepted {
        /// Kept tokens (a prefix of the input), the stop token included: it counts in usage as vLLM counts it.
        var numKept = 0
        /// Text per kept token that is emitted (an eos is not), in order; "" while text is held back.
        var pieces: [String] = []
        /// Set when the sequence ended with these tokens; `tail` then holds what was held back.
        var finishReason: GenerationFinishReason?
        var tail = ""
    }

    private var decoder: StreamDecoder
    private var stopMatcher: StopStringMatcher
    private let stopTokenIds: Set<Int>
    private let maxTokens: Int
    /// Tokens kept so far, a final stop token included.
    private(set) var numGeneratedTokens = 0
    private(set) var finishReason: GenerationFinishReason?
    /// A stop string matched: nothing more is emitted.
    private var isStopped = false

    init(tokenizer: Tokenizer, stopStrings: [String], stopTokenIds: Set<Int>, maxTokens: Int, skipSpecialTokens: Bool) {
        decoder = tokenizer.makeStreamDecoder(skipSpecialTokens: skipSpecialTokens)
        stopMatcher = StopStringMatcher(stopStrings: stopStrings)
        self.stopTokenIds = stopTokenIds
        self.maxTokens = maxTokens
    }

    /// Takes a step's new tokens in order (accepted drafts, then the sampled one) up to the first that ends
    /// the sequence; later ones are dropped.
    mutating func accept(_ tokens: some Sequence<Int>) -> Accepted {
        var accepted = Accepted()
        for token in tokens where finishReason == nil {
            accepted.numKept += 1
            numGeneratedTokens += 1
            if stopTokenIds.contains(token) {
                finishReason = .stop
                break
            }
            accepted.pieces.append(emit(decoder.append(token)))
            if isStopped {
                finishReason = .stop
            } else if numGeneratedTokens >= maxTokens {
                finishReason = .length
            }
        }
        if finishReason != nil {
            accepted.tail = flush()
            accepted.finishReason = finishReason
        }
        return accepted
    }

    /// Ends the sequence from outside (shutdown, failure): returns what was held back.
    mutating func finish(reason: GenerationFinishReason) -> (tail: String, reason: GenerationFinishReason) {
        guard finishReason == nil else { return ("", finishReason!) }
        finishReason = reason
        let tail = flush()
        return (tail, finishReason!)
    }

    /// Everything still held back (an incomplete character, a partial stop string), unless those last bytes
    /// complete a stop string (then the finish reason becomes `.stop`). Nothing after a stop string matched.
    private mutating func flush() -> String {
        guard !isStopped else { return "" }
        let text = emit(decoder.finish())
        if isStopped {
            finishReason = .stop
            return text
        }
        return text + stopMatcher.flush()
    }

    private mutating func emit(_ text: String) -> String {
        let (emitted, stopped) = stopMatcher.append(text)
        if stopped { isStopped = true }
        return emitted
    }
}
