/// A token matched verbatim in the input before pre-tokenization (e.g. `<|im_end|>`).
struct AddedToken: Sendable {
    let id: Int
    let content: String
    let isSpecial: Bool
    /// Swallow whitespace to the left / right of the match.
    let lstrip: Bool
    let rstrip: Bool
}

/// Splits text into runs of ordinary text and added tokens, longest match first (like HF's
/// leftmost-longest Aho-Corasick matching).
struct AddedTokenMatcher: Sendable {
    enum Segment: Equatable {
        case text(Range<Int>)
        case token(Int)
    }

    private let tokens: [AddedToken]
    private let utf8: [[UInt8]]
    /// For each first byte, indices into `tokens`, longest content first.
    private let candidates: [[Int]]

    init(_ tokens: [AddedToken]) {
        self.tokens = tokens
        utf8 = tokens.map { Array($0.content.utf8) }
        var candidates = [[Int]](repeating: [], count: 256)
        for (index, bytes) in utf8.enumerated() where !bytes.isEmpty {
            candidates[Int(bytes[0])].append(index)
        }
        let lengths = utf8.map(\.count)
        self.candidates = candidates.map { $0.sorted { lengths[$0] > lengths[$1] } }
    }

    var isEmpty: Bool { tokens.isEmpty }

    func split(_ bytes: UnsafeBufferPointer<UInt8>) -> [Segment] {
        var segments: [Segment] = []
        var textStart = 0
        var index = 0
        while index < bytes.count {
            guard let match = longestMatch(bytes, at: index) else {
                index += 1
                continue
            }
            let token = tokens[match]
            var before = index
            if token.lstrip {
                while before > textStart, let start = whitespaceStart(bytes, endingAt: before, floor: textStart) { before = start }
            }
            var after = index + utf8[match].count
            if token.rstrip {
                while after < bytes.count, let length = whitespaceLength(bytes, at: after) { after += length }
            }
            if textStart < before { segments.append(.text(textStart..<before)) }
            segments.append(.token(token.id))
            index = after
            textStart = after
        }
        if textStart < bytes.count { segments.append(.text(textStart..<bytes.count)) }
        return segments
    }

    private func longestMatch(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        for candidate in candidates[Int(bytes[index])] {
            let content = utf8[candidate]
            guard index + content.count <= bytes.count else { continue }
            var matches = true
            for offset in 1..<content.count where bytes[index + offset] != content[offset] {
                matches = false
                break
            }
            if matches { return candidate }
        }
        return nil
    }

    /// Length of the whitespace scalar at `index`, if it is one.
    private func whitespaceLength(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        guard isScalarStart(bytes[index]) else { return nil }
        let (value, length) = decodeScalar(bytes, at: index)
        return ScalarClass(value) == .whitespace ? length : nil
    }

    /// Start of the whitespace scalar ending at `end`, if it is one.
    private func whitespaceStart(_ bytes: UnsafeBufferPointer<UInt8>, endingAt end: Int, floor: Int) -> Int? {
        var start = end - 1
        while start > floor, !isScalarStart(bytes[start]) { start -= 1 }
        guard let length = whitespaceLength(bytes, at: start), start + length == end else { return nil }
        return start
    }

    private func isScalarStart(_ byte: UInt8) -> Bool { byte & 0xC0 != 0x80 }
}
