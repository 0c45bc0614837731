import Tokenizer

/// The text side of one sequence: incremental detokenization and stop strings. Knows nothing of the
/// model, the scheduler or the stream it feeds.
struct SequenceOutput: Sendable {
    private var decoder: StreamDecoder
    private var stopMatcher: StopStringMatcher
    /// True once a stop string matched; nothing more is emitted.
    private(set) var isStopped = false

    init(tokenizer: Tokenizer, stopStrings: [String], skipSpecialTokens: Bool) {
        decoder = tokenizer.makeStreamDecoder(skipSpecialTokens: skipSpecialTokens)
        stopMatcher = StopStringMatcher(stopStrings: stopStrings)
    }

    /// Adds a generated token; returns the text that is final now (never splitting a character, never
    /// part of a stop string). After a stop string matched, `isStopped` is true.
    mutating func append(_ token: Int) -> String {
        guard !isStopped else { return "" }
        return emit(decoder.append(token))
    }

    /// The sequence ended: returns everything still held back (an incomplete character, a partial stop
    /// string), unless those last bytes complete a stop string.
    mutating func finish() -> String {
        guard !isStopped else { return "" }
        let text = emit(decoder.finish())
        return isStopped ? text : text + stopMatcher.flush()
    }

    private mutating func emit(_ text: String) -> String {
        let (emitted, stopped) = stopMatcher.append(text)
        if stopped { isStopped = true }
        return emitted
    }
}
