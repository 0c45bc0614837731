/// Automata for JSON numbers: free numbers, integers in an exact range, and numbers between integer bounds.
///
/// Digit runs are bounded (as llama.cpp's JSON-schema grammars bound them): at most `maxDigits` digits in an
/// integer part or a fraction, 3 in an exponent. Every number written is still valid, and a double holds no more
/// precision anyway; without the bound a small model stuck on a digit writes zeros until max_tokens.
extension NFA {
    static let maxDigits = 16

    /// `-?(0|[1-9][0-9]{0,15})(\.[0-9]{1,16})?([eE][+-]?[0-9]{1,3})?`
    mutating func freeNumber() -> Fragment {
        let sign = optional(literal("-"))
        let integer = alternation([literal("0"), sequence([byteRanges([0x31...0x39]), digits(upTo: Self.maxDigits - 1)])])
        let fraction = optional(sequence([literal("."), digit(), digits(upTo: Self.maxDigits - 1)]))
        let exponent = optional(sequence([
            alternation([literal("e"), literal("E")]),
            optional(alternation([literal("+"), literal("-")])),
            digit(), digits(upTo: 2),
        ]))
        return sequence([sign, integer, fraction, exponent])
    }

    mutating func digit() -> Fragment { byteRanges([0x30...0x39]) }

    /// Zero to `count` "0"s.
    mutating func zeros(upTo count: Int) -> Fragment {
        guard count > 0 else { return empty() }
        return optional(sequence([literal("0"), zeros(upTo: count - 1)]))
    }

    /// Zero to `count` digits.
    mutating func digits(upTo count: Int) -> Fragment {
        guard count > 0 else { return empty() }
        return optional(sequence([digit(), digits(upTo: count - 1)]))
    }

    /// Decimal naturals `lo...hi` (hi nil: unbounded) without leading zeros.
    mutating func naturals(_ lo: UInt64, _ hi: UInt64?) -> Fragment {
        if let hi, hi < lo { return nothing() }
        var options: [Fragment] = []
        var lo = lo
        if lo == 0 {
            options.append(literal("0"))
            lo = 1
            if hi == 0 { return options[0] }
        }
        let loDigits = Array(String(lo).utf8)
        let maxLength = hi.map { String($0).utf8.count } ?? loDigits.count
        for length in loDigits.count...maxLength {
            let smallest = length == loDigits.count ? loDigits : [UInt8(ascii: "1")] + Array(repeating: UInt8(ascii: "0"), count: length - 1)
            let largest: [UInt8]
            if let hi, length == maxLength { largest = Array(String(hi).utf8) } else { largest = Array(repeating: UInt8(ascii: "9"), count: length) }
            options.append(sameLength(smallest, largest))
        }
        if hi == nil, loDigits.count < Self.maxDigits {
            // Every natural with more digits than lo (up to maxDigits).
            var parts = [byteRanges([0x31...0x39])]
            for _ in 0..<loDigits.count { parts.append(digit()) }
            parts.append(digits(upTo: Self.maxDigits - 1 - loDigits.count))
            options.append(sequence(parts))
        }
        return alternation(options)
    }

    /// Digit strings of one length between `a` and `b` inclusive (digit by digit).
    private mutating func sameLength(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Fragment {
        guard let first = a.first, let last = b.first else { return empty() }
        if first == last { return sequence([literal([first]), sameLength(a.dropFirst(), b.dropFirst())]) }
        let rest = a.count - 1
        if a.dropFirst().allSatisfy({ $0 == UInt8(ascii: "0") }), b.dropFirst().allSatisfy({ $0 == UInt8(ascii: "9") }) {
            return sequence([byteRanges([first...last])] + (0..<rest).map { _ in digit() })
        }
        var options = [sequence([literal([first]), sameLength(a.dropFirst(), ArraySlice(repeating: UInt8(ascii: "9"), count: rest))])]
        if first + 1 <= last - 1 {
            options.append(sequence([byteRanges([(first + 1)...(last - 1)])] + (0..<rest).map { _ in digit() }))
        }
        options.append(sequence([literal([last]), sameLength(ArraySlice(repeating: UInt8(ascii: "0"), count: rest), b.dropFirst())]))
        return alternation(options)
    }

    private mutating func sameLength(_ a: [UInt8], _ b: [UInt8]) -> Fragment { sameLength(a[...], b[...]) }

    /// Integers in `min...max` (nil: unbounded), written without leading zeros; zero only as "0".
    mutating func integers(min: Int64?, max: Int64?) -> Fragment {
        if let min, let max, min > max { return nothing() }
        var options: [Fragment] = []
        // Negative: magnitudes max(1, -max) ... -min.
        if min.map({ $0 < 0 }) ?? true {
            let lowMagnitude: UInt64 = max.map { $0 < 0 ? $0.magnitude : 1 } ?? 1
            options.append(sequence([literal("-"), naturals(lowMagnitude, min.map { $0.magnitude })]))
        }
        if max.map({ $0 >= 0 }) ?? true {
            let low: UInt64 = min.map { $0 > 0 ? UInt64($0) : 0 } ?? 0
            options.append(naturals(low, max.map { UInt64($0) }))
        }
        return options.isEmpty ? nothing() : alternation(options)
    }

    /// Non-negative decimals `I[.F]` (no exponent) between `a` and `b` (nil: unbounded), each end inclusive or not.
    private mutating func magnitudes(_ a: UInt64, aInclusive: Bool, _ b: UInt64?, bInclusive: Bool) -> Fragment {
        let anyFraction = { (nfa: inout NFA) -> Fragment in
            nfa.optional(nfa.sequence([nfa.literal("."), nfa.digit(), nfa.digits(upTo: Self.maxDigits - 1)]))
        }
        let zeroFraction = { (nfa: inout NFA) -> Fragment in
            nfa.optional(nfa.sequence([nfa.literal("."), nfa.literal("0"), nfa.zeros(upTo: Self.maxDigits - 1)]))
        }
        let nonzeroFraction = { (nfa: inout NFA) -> Fragment in
            // A nonzero digit somewhere in the first maxDigits.
            var options: [Fragment] = []
            for zeros in 0..<Self.maxDigits {
                options.append(nfa.sequence(
                    (0..<zeros).map { _ in nfa.literal("0") } + [nfa.byteRanges([0x31...0x39]), nfa.digits(upTo: Self.maxDigits - 1 - zeros)]))
            }
            return nfa.sequence([nfa.literal("."), nfa.alternation(options)])
        }
        var options: [Fragment] = []
        // Integer parts strictly inside: any fraction.
        let lowAny = aInclusive ? a : a + 1
        if let b {
            if b >= 1, lowAny <= b - 1 { options.append(sequence([naturals(lowAny, b - 1), anyFraction(&self)])) }
        } else {
            options.append(sequence([naturals(lowAny, nil), anyFraction(&self)]))
        }
        // I == a with a nonzero fraction: just above an exclusive lower bound.
        if !aInclusive, b.map({ a < $0 }) ?? true { options.append(sequence([naturals(a, a), nonzeroFraction(&self)])) }
        // I == b with a zero fraction: an inclusive upper bound.
        if let b, bInclusive, b > a || (b == a && aInclusive) { options.append(sequence([naturals(b, b), zeroFraction(&self)])) }
        return options.isEmpty ? nothing() : alternation(options)
    }

    /// JSON numbers x with lower <= x (or <) and x <= upper (or <), bounds integers; no exponent form.
    mutating func boundedNumbers(lower: Int64?, lowerInclusive: Bool, upper: Int64?, upperInclusive: Bool) -> Fragment {
        var options: [Fragment] = []
        // x >= 0, written without a sign.
        if upper.map({ $0 > 0 || ($0 == 0 && upperInclusive) }) ?? true {
            let (a, aInclusive): (UInt64, Bool) = lower.map { $0 >= 0 ? (UInt64($0), lowerInclusive) : (0, true) } ?? (0, true)
            options.append(magnitudes(a, aInclusive: aInclusive, upper.map { UInt64(Swift.max($0, 0)) }, bInclusive: upperInclusive))
        }
        // x < 0 as "-" magnitude m, m > 0: -upper <= m (or <) and m <= -lower (or <).
        if lower.map({ $0 < 0 }) ?? true {
            let (a, aInclusive): (UInt64, Bool) = upper.map { $0 < 0 ? ($0.magnitude, upperInclusive) : (0, false) } ?? (0, false)
            options.append(sequence([literal("-"), magnitudes(a, aInclusive: aInclusive, lower.map { $0.magnitude }, bInclusive: lowerInclusive)]))
        }
        return options.isEmpty ? nothing() : alternation(options)
    }
}
