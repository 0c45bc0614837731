/// The ECMAScript regular-expression subset accepted in `pattern` (and used for `format`):
/// literals; `.`; classes `[...]` with ranges and `^` negation; `\d \w \s \D \W \S` (ASCII, as ECMAScript without
/// the `u` flag; `\s` is ECMAScript's whitespace set); escapes `\n \r \t \f \v \0 \xHH \uHHHH` and escaped
/// punctuation; groups `(...)` and `(?:...)`; `|`; quantifiers `* + ? {m} {m,} {m,n}` (a lazy `?` suffix is
/// accepted: it changes no language); `^` / `$` only at the start / end of a top-level alternative.
/// Everything else (backreferences, lookaround, `\b`, named groups, flags) is refused.
/// Patterns are unanchored, as in JSON Schema: an alternative without `^` may be preceded by anything and one
/// without `$` followed by anything.
indirect enum RegexNode {
    case set(CodePointSet)
    case concat([RegexNode])
    case alternation([RegexNode])
    case repetition(RegexNode, min: Int, max: Int?)

    static let maxRepetition = 1000

    struct ParseError: Error { var message: String }

    /// Parses `pattern` into a node matching the whole string (unanchored sides already padded).
    static func parse(_ pattern: String) throws(ParseError) -> RegexNode {
        var parser = RegexParser(scalars: Array(pattern.unicodeScalars))
        let branches = try parser.parseTopLevel()
        let anything = RegexNode.repetition(.set(.all), min: 0, max: nil)
        return .alternation(branches.map { branch in
            var parts = branch.nodes
            if !branch.anchoredStart { parts.insert(anything, at: 0) }
            if !branch.anchoredEnd { parts.append(anything) }
            return .concat(parts)
        })
    }

    /// Emits the node as JSON string content (`NFA.jsonCharacter` for each character).
    func emit(into nfa: inout NFA) throws(GrammarError) -> Fragment {
        switch self {
        case .set(let set): return nfa.jsonCharacter(set)
        case .concat(let parts):
            var fragments: [Fragment] = []
            for part in parts { fragments.append(try part.emit(into: &nfa)) }
            return nfa.sequence(fragments)
        case .alternation(let parts):
            var fragments: [Fragment] = []
            for part in parts { fragments.append(try part.emit(into: &nfa)) }
            return nfa.alternation(fragments)
        case .repetition(let node, let min, let max):
            if nfa.numStates > nfa.stateLimit {
                throw GrammarError(message: "the pattern expands to more than \(nfa.stateLimit) automaton states", pointer: "")
            }
            return try nfa.repeated(min: min, max: max) { (nfa: inout NFA) throws(GrammarError) in try node.emit(into: &nfa) }
        }
    }
}

private struct RegexParser {
    struct Branch {
        var nodes: [RegexNode]
        var anchoredStart: Bool
        var anchoredEnd: Bool
    }

    let scalars: [Unicode.Scalar]
    var index = 0

    init(scalars: [Unicode.Scalar]) { self.scalars = scalars }

    typealias ParseError = RegexNode.ParseError

    private var peek: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    mutating func parseTopLevel() throws(ParseError) -> [Branch] {
        var branches: [Branch] = []
        while true {
            var branch = Branch(nodes: [], anchoredStart: false, anchoredEnd: false)
            if peek == "^" { index += 1; branch.anchoredStart = true }
            branch.nodes = try parseSequence(topLevel: true)
            if peek == "$" { index += 1; branch.anchoredEnd = true }
            branches.append(branch)
            guard let next = peek else { return branches }
            if next == "|" { index += 1; continue }
            if next == ")" { throw ParseError(message: "unbalanced ')'") }
            throw ParseError(message: "'^' and '$' are supported only at the start and end of a top-level alternative")
        }
    }

    private mutating func parseAlternation() throws(ParseError) -> RegexNode {
        var branches = [RegexNode.concat(try parseSequence(topLevel: false))]
        while peek == "|" {
            index += 1
            branches.append(.concat(try parseSequence(topLevel: false)))
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    /// Atoms with quantifiers up to `|`, `)`, the end, or (at top level) a final `$`.
    private mutating func parseSequence(topLevel: Bool) throws(ParseError) -> [RegexNode] {
        var nodes: [RegexNode] = []
        while let scalar = peek, scalar != "|", scalar != ")" {
            if scalar == "$" {
                if topLevel, index + 1 == scalars.count || scalars[index + 1] == "|" { break }
                throw ParseError(message: "'$' is supported only at the end of a top-level alternative")
            }
            if scalar == "^" { throw ParseError(message: "'^' is supported only at the start of a top-level alternative") }
            var atom = try parseAtom()
            atom = try parseQuantifiers(atom)
            nodes.append(atom)
        }
        return nodes
    }

    private mutating func parseQuantifiers(_ atom: RegexNode) throws(ParseError) -> RegexNode {
        var node = atom
        while let scalar = peek {
            var min = 0, max: Int? = nil
            switch scalar {
            case "*": index += 1
            case "+": index += 1; min = 1
            case "?": index += 1; max = 1
            case "{":
                guard let (lo, hi, length) = braceQuantifier(at: index) else { return node }
                index += length
                min = lo
                max = hi
            default: return node
            }
            if let max, max < min { throw ParseError(message: "quantifier {\(min),\(max)} has max < min") }
            if min > RegexNode.maxRepetition || (max ?? 0) > RegexNode.maxRepetition {
                throw ParseError(message: "repetition counts above \(RegexNode.maxRepetition) are not supported")
            }
            if peek == "?" { index += 1 }  // lazy: same language
            if case .repetition = node { throw ParseError(message: "nested quantifier") }
            node = .repetition(node, min: min, max: max)
        }
        return node
    }

    /// `{m}`, `{m,}` or `{m,n}` at `start`: (min, max, length in scalars), or nil when not a quantifier.
    private func braceQuantifier(at start: Int) -> (Int, Int?, Int)? {
        var position = start + 1
        func number(_ position: inout Int) -> Int? {
            var value = 0, numDigits = 0
            while position < scalars.count, let digit = Int(String(scalars[position])), scalars[position].isASCII {
                value = min(value * 10 + digit, 1_000_000)
                numDigits += 1
                position += 1
            }
            return numDigits > 0 ? value : nil
        }
        guard let lo = number(&position) else { return nil }
        guard position < scalars.count else { return nil }
        if scalars[position] == "}" { return (lo, lo, position + 1 - start) }
        guard scalars[position] == "," else { return nil }
        position += 1
        let hi = number(&position)
        guard position < scalars.count, scalars[position] == "}" else { return nil }
        return (lo, hi, position + 1 - start)
    }

    private mutating func parseAtom() throws(ParseError) -> RegexNode {
        let scalar = scalars[index]
        index += 1
        switch scalar {
        case "(":
            if peek == "?" {
                guard index + 1 < scalars.count, scalars[index + 1] == ":" else {
                    throw ParseError(message: "lookaround and named groups are not supported")
                }
                index += 2
            }
            let inner = try parseAlternation()
            guard peek == ")" else { throw ParseError(message: "missing ')'") }
            index += 1
            return inner
        case ".": return .set(.dot)
        case "[": return .set(try parseClass())
        case "\\": return .set(try parseEscape(inClass: false))
        case "*", "+", "?": throw ParseError(message: "quantifier '\(scalar)' with nothing to repeat")
        case "{":
            if braceQuantifier(at: index - 1) != nil { throw ParseError(message: "quantifier with nothing to repeat") }
            return .set(CodePointSet([scalar.value...scalar.value]))
        default: return .set(CodePointSet([scalar.value...scalar.value]))
        }
    }

    private mutating func parseClass() throws(ParseError) -> CodePointSet {
        var negated = false
        if peek == "^" { negated = true; index += 1 }
        var set = CodePointSet([])
        while true {
            guard let scalar = peek else { throw ParseError(message: "missing ']'") }
            if scalar == "]" { index += 1; break }  // ECMAScript: "[]" matches nothing, "[^]" anything
            let low = try classAtom()
            if peek == "-", index + 1 < scalars.count, scalars[index + 1] != "]" {
                index += 1
                let high = try classAtom()
                guard low.ranges.count == 1, low.ranges[0].count == 1, high.ranges.count == 1, high.ranges[0].count == 1 else {
                    throw ParseError(message: "a class range needs single characters at both ends")
                }
                let lo = low.ranges[0].lowerBound, hi = high.ranges[0].lowerBound
                guard lo <= hi else { throw ParseError(message: "class range out of order") }
                set = set.union(CodePointSet([lo...hi]))
            } else {
                set = set.union(low)
            }
        }
        return negated ? set.inverted() : set
    }

    private mutating func classAtom() throws(ParseError) -> CodePointSet {
        let scalar = scalars[index]
        index += 1
        if scalar == "\\" { return try parseEscape(inClass: true) }
        return CodePointSet([scalar.value...scalar.value])
    }

    private mutating func hex(_ count: Int) throws(ParseError) -> UInt32 {
        guard index + count <= scalars.count,
              let value = UInt32(String(String.UnicodeScalarView(scalars[index..<index + count])), radix: 16)
        else { throw ParseError(message: "invalid hex escape") }
        index += count
        return value
    }

    private mutating func parseEscape(inClass: Bool) throws(ParseError) -> CodePointSet {
        guard let scalar = peek else { throw ParseError(message: "trailing backslash") }
        index += 1
        func single(_ value: UInt32) -> CodePointSet { CodePointSet([value...value]) }
        switch scalar {
        case "d": return .digit
        case "D": return CodePointSet.digit.inverted()
        case "w": return .word
        case "W": return CodePointSet.word.inverted()
        case "s": return .space
        case "S": return CodePointSet.space.inverted()
        case "n": return single(0x0A)
        case "r": return single(0x0D)
        case "t": return single(0x09)
        case "f": return single(0x0C)
        case "v": return single(0x0B)
        case "0": return single(0)
        case "b" where inClass: return single(0x08)
        case "x": return single(try hex(2))
        case "u": return single(try hex(4))
        default:
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                throw ParseError(message: "escape '\\\(scalar)' is not supported")
            }
            return single(scalar.value)
        }
    }
}
