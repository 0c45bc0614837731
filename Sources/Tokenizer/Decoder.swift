/// The `ByteLevel` decoder: maps each token's characters back to the bytes they stand for.
///
/// As in Hugging Face, a token with a character outside the byte map (e.g. an added token containing
/// a plain space) contributes its own UTF-8 instead. Bytes are joined before UTF-8 decoding, so a
/// character split across tokens comes out whole; invalid sequences become U+FFFD.
struct ByteLevelDecoder: Sendable {
    /// Bytes of each id; ids with no token map to nothing.
    let tokenBytes: [[UInt8]]
    /// Whether each id is a special added token.
    let isSpecial: [Bool]

    init(idToToken: [String?], specialIds: Set<Int>) {
        tokenBytes = idToToken.map { token in
            guard let token else { return [] }
            return ByteLevel.decode(token) ?? Array(token.utf8)
        }
        isSpecial = idToToken.indices.map { specialIds.contains($0) }
    }

    /// Appends the bytes of `id`; out-of-range ids and (optionally) special tokens add nothing.
    @inline(__always)
    func appendBytes(of id: Int, skipSpecialTokens: Bool, to bytes: inout [UInt8]) {
        guard id >= 0, id < tokenBytes.count else { return }
        if skipSpecialTokens, isSpecial[id] { return }
        bytes.append(contentsOf: tokenBytes[id])
    }

    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids { appendBytes(of: id, skipSpecialTokens: skipSpecialTokens, to: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
