/// Splits text into the pieces BPE encodes independently.
///
/// Pieces are byte ranges into the UTF-8 of the text; every stage refines the pieces of the previous one.
protocol PreTokenizer: Sendable {
    /// Appends the sub-pieces of `piece` to `output`.
    func split(_ bytes: UnsafeBufferPointer<UInt8>, piece: Range<Int>, into output: inout [Range<Int>])
}

extension PreTokenizer {
    func split(_ bytes: UnsafeBufferPointer<UInt8>, pieces: [Range<Int>]) -> [Range<Int>] {
        var output: [Range<Int>] = []
        output.reserveCapacity(pieces.count * 2)
        for piece in pieces { split(bytes, piece: piece, into: &output) }
        return output
    }
}

/// `Sequence`: applies its children in order.
struct PreTokenizerSequence: PreTokenizer {
    let children: [any PreTokenizer]

    func split(_ bytes: UnsafeBufferPointer<UInt8>, piece: Range<Int>, into output: inout [Range<Int>]) {
        var pieces = [piece]
        for child in children { pieces = child.split(bytes, pieces: pieces) }
        output.append(contentsOf: pieces)
    }
}

/// `Digits`: with `individualDigits`, isolates every `\p{N}` scalar; otherwise isolates runs of them.
struct DigitsPreTokenizer: PreTokenizer {
    let individualDigits: Bool

    func split(_ bytes: UnsafeBufferPointer<UInt8>, piece: Range<Int>, into output: inout [Range<Int>]) {
        var start = piece.lowerBound
        var index = piece.lowerBound
        while index < piece.upperBound {
            let (value, length) = decodeScalar(bytes, at: index)
            guard ScalarClass(value) == .number else {
                index += length
                continue
            }
            if start < index { output.append(start..<index) }
            var end = index + length
            if !individualDigits {
                while end < piece.upperBound {
                    let (next, nextLength) = decodeScalar(bytes, at: end)
                    guard ScalarClass(next) == .number else { break }
                    end += nextLength
                }
            }
            output.append(index..<end)
            index = end
            start = end
        }
        if start < piece.upperBound { output.append(start..<piece.upperBound) }
    }
}

/// `ByteLevel` as a pre-tokenizer: the GPT-2 split (when `use_regex`). The byte -> character mapping
/// itself happens inside BPE, which works on bytes directly.
struct ByteLevelPreTokenizer: PreTokenizer {
    let useRegex: Bool

    func split(_ bytes: UnsafeBufferPointer<UInt8>, piece: Range<Int>, into output: inout [Range<Int>]) {
        if useRegex {
            GPT2Split.split(bytes, piece: piece, into: &output)
        } else if !piece.isEmpty {
            output.append(piece)
        }
    }
}

extension PreTokenizerJSON {
    /// Builds the pre-tokenizer this node describes, or throws naming the unsupported part.
    func make(file: String) throws -> any PreTokenizer {
        switch type {
        case "Sequence":
            let children = try (pretokenizers ?? []).map { try $0.make(file: file) }
            return PreTokenizerSequence(children: children)
        case "Digits":
            return DigitsPreTokenizer(individualDigits: individualDigits ?? false)
        case "ByteLevel":
            if addPrefixSpace == true {
                throw TokenizerError.invalidFile(file, reason: "pre_tokenizer ByteLevel.add_prefix_space=true is not supported")
            }
            return ByteLevelPreTokenizer(useRegex: useRegex ?? true)
        default:
            throw TokenizerError.invalidFile(file, reason: "pre_tokenizer type \"\(type)\" is not supported")
        }
    }
}
