/// What differs between tokenizer formats: turning text into ids and ids back into bytes.
/// BOS/EOS, special-token bookkeeping and chat templates live in `Tokenizer`, shared by all.
protocol TokenizerBackend: Sendable {
    /// One more than the largest id.
    var vocabularySize: Int { get }
    var specialTokenIds: Set<Int> { get }
    /// Ids for `text`, without BOS/EOS.
    func encode(_ text: String, into ids: inout [Int])
    /// Appends the bytes `id` decodes to. `atSequenceStart` is true until the first non-special id
    /// (SentencePiece drops the leading space of the first piece). Out-of-range ids add nothing.
    func appendBytes(of id: Int, skipSpecialTokens: Bool, atSequenceStart: Bool, to bytes: inout [UInt8])
    func idToToken(_ id: Int) -> String?
    func tokenToId(_ token: String) -> Int?
    /// The bytes `id` stands for in the middle of a text, or nil for special/control tokens and unused ids.
    func tokenBytes(_ id: Int) -> [UInt8]?
}

extension TokenizerBackend {
    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        var atSequenceStart = true
        for id in ids {
            appendBytes(of: id, skipSpecialTokens: skipSpecialTokens, atSequenceStart: atSequenceStart, to: &bytes)
            if atSequenceStart, !specialTokenIds.contains(id) { atSequenceStart = false }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
