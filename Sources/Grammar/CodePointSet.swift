/// A set of Unicode scalar values as sorted, disjoint, non-adjacent ranges (surrogates never included).
struct CodePointSet: Equatable {
    private(set) var ranges: [ClosedRange<UInt32>]

    static let all = CodePointSet([0...0xD7FF, 0xE000...0x10FFFF])

    init(_ ranges: [ClosedRange<UInt32>]) {
        var pieces: [ClosedRange<UInt32>] = []
        for range in ranges {
            // Cut out the surrogate block.
            if range.lowerBound < 0xD800 { pieces.append(range.lowerBound...min(range.upperBound, 0xD7FF)) }
            if range.upperBound > 0xDFFF { pieces.append(max(range.lowerBound, 0xE000)...range.upperBound) }
        }
        pieces.sort { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt32>] = []
        for piece in pieces {
            if let last = merged.last, piece.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, piece.upperBound)
            } else {
                merged.append(piece)
            }
        }
        self.ranges = merged
    }

    init(_ scalars: String) { self.init(scalars.unicodeScalars.map { $0.value...$0.value }) }

    var isEmpty: Bool { ranges.isEmpty }

    func contains(_ value: UInt32) -> Bool { ranges.contains { $0.contains(value) } }

    func union(_ other: CodePointSet) -> CodePointSet { CodePointSet(ranges + other.ranges) }

    func inverted() -> CodePointSet {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in ranges {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
        }
        if next <= 0x10FFFF { result.append(next...0x10FFFF) }
        return CodePointSet(result)
    }

    func subtracting(_ other: CodePointSet) -> CodePointSet { inverted().union(other).inverted() }

    func intersection(_ other: CodePointSet) -> CodePointSet { inverted().union(other.inverted()).inverted() }

    // ECMAScript classes (ASCII, as without the `u` flag).
    static let digit = CodePointSet([0x30...0x39])
    static let word = CodePointSet([0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
    static let space = CodePointSet([0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A,
                                     0x2028...0x2029, 0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF])
    /// What `.` matches: everything but line terminators.
    static let dot = CodePointSet("\n\r\u{2028}\u{2029}").inverted()
}

/// UTF-8 encodings of the scalars in `lo...hi` as sequences of byte ranges (the construction used by regex
/// engines: split at encoded-length boundaries, then until every byte position is an independent range).
func utf8Sequences(_ lo: UInt32, _ hi: UInt32) -> [[ClosedRange<UInt8>]] {
    var result: [[ClosedRange<UInt8>]] = []
    var stack: [(UInt32, UInt32)] = [(lo, hi)]
    outer: while let (start, end) = stack.popLast() {
        var end = end
        for maxValue: UInt32 in [0x7F, 0x7FF, 0xFFFF] where start <= maxValue && maxValue < end {
            stack.append((maxValue + 1, end))
            end = maxValue
        }
        if end <= 0x7F {
            result.append([UInt8(start)...UInt8(end)])
            continue
        }
        for i: UInt32 in 1..<4 {
            let mask: UInt32 = (1 << (6 * i)) - 1
            if start & ~mask != end & ~mask {
                if start & mask != 0 {
                    stack.append(((start | mask) + 1, end))
                    stack.append((start, start | mask))
                    continue outer
                }
                if end & mask != mask {
                    stack.append((end & ~mask, end))
                    stack.append((start, (end & ~mask) - 1))
                    continue outer
                }
            }
        }
        let a = Array(String(Unicode.Scalar(start)!).utf8), b = Array(String(Unicode.Scalar(end)!).utf8)
        result.append(zip(a, b).map { $0...$1 })
    }
    return result
}

extension NFA {
    /// One character of `set` as it appears inside a JSON string in the grammar's encoding: raw UTF-8, except
    /// `"` and `\` (escaped) and control characters (\b \f \n \r \t, others \u00xx lowercase, like Python's
    /// json.dumps). One encoding per character, so string automata can be intersected and complemented.
    mutating func jsonCharacter(_ set: CodePointSet) -> Fragment {
        var options: [Fragment] = []
        let raw = set.subtracting(CodePointSet([0...0x1F, 0x22...0x22, 0x5C...0x5C]))
        for range in raw.ranges {
            for sequence in utf8Sequences(range.lowerBound, range.upperBound) { options.append(byteRanges(sequence)) }
        }
        if set.contains(0x22) { options.append(literal("\\\"")) }
        if set.contains(0x5C) { options.append(literal("\\\\")) }
        let short: [UInt32: String] = [0x08: "\\b", 0x0C: "\\f", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"]
        for control in UInt32(0)..<0x20 where set.contains(control) {
            if let escape = short[control] {
                options.append(literal(escape))
            } else {
                options.append(literal("\\u00" + (control < 0x10 ? "0" : "") + String(control, radix: 16)))
            }
        }
        return options.isEmpty ? nothing() : alternation(options)
    }

    /// Any one character of a JSON string in any valid spelling: raw UTF-8, every escape, \uXXXX in either case
    /// (a high surrogate escape only when followed by a low one).
    mutating func anyJSONCharacter() -> Fragment {
        var options: [Fragment] = []
        for range in CodePointSet.all.subtracting(CodePointSet([0...0x1F, 0x22...0x22, 0x5C...0x5C])).ranges {
            for sequence in utf8Sequences(range.lowerBound, range.upperBound) { options.append(byteRanges(sequence)) }
        }
        let backslash = addState(), afterEscape = addState()
        for escape in "\"\\/bfnrt".utf8 { edge(backslash, escape, escape, afterEscape) }
        // \u then four hex digits, excluding D800-DFFF; D800-DBFF must be followed by \u DC00-DFFF.
        let hexDigit: [ClosedRange<UInt8>] = [0x30...0x39, 0x41...0x46, 0x61...0x66]
        func hexRun(_ nfa: inout NFA, from: Int32, count: Int, to: Int32) {
            var current = from
            for index in 0..<count {
                let next = index == count - 1 ? to : nfa.addState()
                for range in hexDigit { nfa.edge(current, range.lowerBound, range.upperBound, next) }
                current = next
            }
        }
        let u = addState()
        edge(backslash, UInt8(ascii: "u"), UInt8(ascii: "u"), u)
        // first hex digit not d/D: any three more.
        let notD = addState()
        for range: ClosedRange<UInt8> in [0x30...0x39, 0x41...0x43, 0x45...0x46, 0x61...0x63, 0x65...0x66] {
            edge(u, range.lowerBound, range.upperBound, notD)
        }
        hexRun(&self, from: notD, count: 3, to: afterEscape)
        let d = addState()
        edge(u, UInt8(ascii: "d"), UInt8(ascii: "d"), d)
        edge(u, UInt8(ascii: "D"), UInt8(ascii: "D"), d)
        // d[0-7]xx: ordinary; d[89ab]xx: high surrogate, then \ud[c-f]xx.
        let dLow = addState()
        edge(d, 0x30, 0x37, dLow)
        hexRun(&self, from: dLow, count: 2, to: afterEscape)
        let high = addState()
        for range: ClosedRange<UInt8> in [0x38...0x39, 0x41...0x42, 0x61...0x62] { edge(d, range.lowerBound, range.upperBound, high) }
        let highDone = addState()
        hexRun(&self, from: high, count: 2, to: highDone)
        let lowStart = literal("\\u")
        epsilon(highDone, lowStart.start)
        let lowD = addState()
        edge(lowStart.end, UInt8(ascii: "d"), UInt8(ascii: "d"), lowD)
        edge(lowStart.end, UInt8(ascii: "D"), UInt8(ascii: "D"), lowD)
        let lowSecond = addState()
        for range: ClosedRange<UInt8> in [0x43...0x46, 0x63...0x66] { edge(lowD, range.lowerBound, range.upperBound, lowSecond) }
        hexRun(&self, from: lowSecond, count: 2, to: afterEscape)
        let escapeStart = addState()
        edge(escapeStart, UInt8(ascii: "\\"), UInt8(ascii: "\\"), backslash)
        options.append(Fragment(start: escapeStart, end: afterEscape))
        return alternation(options)
    }

    /// A JSON string with no constraints: `"` any characters `"`.
    mutating func freeString() -> Fragment {
        let quote = literal("\"")
        return sequence([quote, star(anyJSONCharacter()), literal("\"")])
    }
}
