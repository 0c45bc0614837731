/// Turns a stream of ids into text chunks, never splitting a UTF-8 character.
///
/// Bytes of an incomplete trailing character are held back until the next token completes them.
/// Invariant: the concatenation of every `append` result and `finish()` equals
/// `Tokenizer.decode` of all the ids (chunks are only cut just before a UTF-8 lead byte, where a
/// lossy decoder restarts anyway).
public struct StreamDecoder: Sendable {
    private let backend: any TokenizerBackend
    private let skipSpecialTokens: Bool
    /// Held-back bytes: at most one incomplete character.
    private var pending: [UInt8] = []
    /// No non-special id seen yet (SentencePiece drops the first piece's leading space).
    private var atSequenceStart = true

    init(backend: any TokenizerBackend, skipSpecialTokens: Bool) {
        self.backend = backend
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Adds one token and returns the text that is now complete (possibly empty).
    public mutating func append(_ id: Int) -> String {
        backend.appendBytes(of: id, skipSpecialTokens: skipSpecialTokens, atSequenceStart: atSequenceStart, to: &pending)
        if atSequenceStart, !backend.specialTokenIds.contains(id) { atSequenceStart = false }
        let cut = StreamDecoder.completePrefixLength(pending)
        guard cut > 0 else { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Returns whatever is still held back (an incomplete character decodes to U+FFFD).
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of the prefix that can be emitted: everything, unless the bytes end in a lead byte
    /// whose character still lacks continuation bytes, in which case we cut just before that lead byte.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        var index = bytes.count - 1
        let lowest = max(0, bytes.count - 4)
        while index >= lowest {
            let byte = bytes[index]
            if byte & 0xC0 != 0x80 {
                // ASCII or a lead byte: the character starting here needs `needed` bytes.
                let needed = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                return bytes.count - index < needed ? index : bytes.count
            }
            index -= 1
        }
        return bytes.count
    }
}
