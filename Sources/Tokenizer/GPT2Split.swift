/// A hand-written scanner equivalent to the GPT-2 split pattern
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// (leftmost-first alternation, as in the regex engines). Compiled regexes are far slower.
enum GPT2Split {
    static func split(_ bytes: UnsafeBufferPointer<UInt8>, piece: Range<Int>, into output: inout [Range<Int>]) {
        let end = piece.upperBound
        var index = piece.lowerBound
        while index < end {
            let next = matchLength(bytes, at: index, end: end)
            output.append(index..<(index + next))
            index += next
        }
    }

    /// Length in bytes of the match starting at `start` (always > 0 when `start < end`).
    @inline(__always)
    private static func matchLength(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int, end: Int) -> Int {
        let (first, firstLength) = decodeScalar(bytes, at: start)

        // 's 't 're 've 'm 'll 'd — case-sensitive, matched even when more letters follow.
        if first == 0x27, start + 1 < end {
            switch bytes[start + 1] {
            case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
                return 2
            case UInt8(ascii: "r"), UInt8(ascii: "v"):
                if start + 2 < end, bytes[start + 2] == UInt8(ascii: "e") { return 3 }
            case UInt8(ascii: "l"):
                if start + 2 < end, bytes[start + 2] == UInt8(ascii: "l") { return 3 }
            default:
                break
            }
        }

        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional U+0020, then a run of one class.
        var runStart = start
        var runClass = ScalarClass(first)
        var runFirstLength = firstLength
        if first == 0x20, start + 1 < end {
            let (second, secondLength) = decodeScalar(bytes, at: start + 1)
            let secondClass = ScalarClass(second)
            if secondClass != .whitespace {
                runStart = start + 1
                runClass = secondClass
                runFirstLength = secondLength
            }
        }
        if runClass != .whitespace {
            var index = runStart + runFirstLength
            while index < end {
                let (value, length) = decodeScalar(bytes, at: index)
                guard ScalarClass(value) == runClass else { break }
                index += length
            }
            return index - start
        }

        // `\s+(?!\S)` then `\s+`: a whitespace run followed by a non-space gives up its last
        // scalar (which then prefixes the next word) unless the run is a single scalar.
        var index = start
        var lastStart = start
        var count = 0
        while index < end {
            let (value, length) = decodeScalar(bytes, at: index)
            guard ScalarClass(value) == .whitespace else { break }
            lastStart = index
            index += length
            count += 1
        }
        if index < end, count >= 2 { return lastStart - start }
        return index - start
    }
}
