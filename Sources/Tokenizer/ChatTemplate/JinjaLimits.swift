/// Hard bounds on parsing and rendering a chat template. The template ships with the model directory and the
/// messages come from clients, so neither may hang the server, overflow its stack or exhaust its memory: past any
/// bound, parsing or rendering throws a `TokenizerError.templateError` naming the limit. Real chat templates stay
/// far below each (SmolLM2's loops once per message; JinjaLimitsTests renders it over 2,000 messages).
enum JinjaLimits {
    /// Nesting of blocks and expressions: parentheses, `a ~ b ~ c` chains, filter chains, `{% if %}` inside
    /// `{% for %}`. Parsing, rendering and freeing the tree each recurse once per level.
    static let maxNestingDepth = 100
    /// Loop iterations in one render, every loop counted.
    static let maxLoopIterations = 100_000
    /// Statements and expressions evaluated in one render: with the loop bound, a bound on time (a second or so).
    static let maxSteps = 1_000_000
    /// Bytes of the rendered text, and of any one string value.
    static let maxStringBytes = 16 << 20
    /// Items of any one list (`range()`, `+`, `split`, a string turned into a list).
    static let maxListItems = 1_000_000
    /// Bytes of strings and lists built, compared or printed in one render (see `JinjaValue.size`): a bound on work
    /// and memory that loops and repeated doubling (`{% set s = s ~ s %}`) cannot get around.
    static let maxBytesProcessed = 64 << 20
    /// Nesting of lists, dictionaries and namespaces in one value: printing, comparing and freeing recurse per level.
    static let maxValueDepth = 50

    static func exceeded(_ what: String, _ limit: Int) -> TokenizerError {
        .templateError("chat template exceeds the limit of \(limit) \(what)")
    }
}

/// What one render has used so far, checked against `JinjaLimits`.
struct JinjaBudget {
    private(set) var steps = 0
    private(set) var loopIterations = 0
    private(set) var bytesProcessed = 0

    mutating func step() throws {
        steps += 1
        guard steps <= JinjaLimits.maxSteps else { throw JinjaLimits.exceeded("evaluation steps", JinjaLimits.maxSteps) }
    }

    mutating func loopIteration() throws {
        loopIterations += 1
        guard loopIterations <= JinjaLimits.maxLoopIterations else {
            throw JinjaLimits.exceeded("loop iterations", JinjaLimits.maxLoopIterations)
        }
    }

    /// Charges `bytes` of work.
    mutating func process(bytes: Int) throws {
        bytesProcessed += bytes
        guard bytesProcessed <= JinjaLimits.maxBytesProcessed else {
            throw JinjaLimits.exceeded("bytes of strings and lists processed", JinjaLimits.maxBytesProcessed)
        }
    }

    /// Charges the whole of `value` (`JinjaValue.size`), measuring no further than the budget left.
    mutating func process(_ value: JinjaValue) throws {
        try process(bytes: value.size(upTo: JinjaLimits.maxBytesProcessed - bytesProcessed))
    }

    /// A namespace attribute may not hold a namespace (directly or in a list or dictionary): namespaces are the only
    /// mutable values, so that is the one way to build cycles and chains the depth check at creation cannot see
    /// (`{% set t.next = n %}` in a loop). Chat templates keep flags and strings in them.
    mutating func checkNamespaceAttribute(_ value: JinjaValue) throws {
        try process(value)  // bounds the walk
        guard !value.containsNamespace else {
            throw TokenizerError.templateError("a namespace attribute cannot hold a namespace (a bound of this interpreter)")
        }
    }

    /// Checks a value an operation produced against the size and depth limits, and charges its size.
    mutating func produced(_ value: JinjaValue) throws -> JinjaValue {
        switch value {
        case .string(let string):
            try JinjaLimits.checkString(string.utf8.count)
            try process(bytes: string.utf8.count)
        case .list, .dictionary, .namespace:
            if case .list(let items) = value { try JinjaLimits.checkList(items.count) }
            try process(value)  // first: it bounds the work of measuring the depth
            guard value.depth(limit: JinjaLimits.maxValueDepth) <= JinjaLimits.maxValueDepth else {
                throw JinjaLimits.exceeded("levels of nested lists, dictionaries and namespaces", JinjaLimits.maxValueDepth)
            }
        default:
            break
        }
        return value
    }
}

extension JinjaLimits {
    static func checkString(_ bytes: Int) throws {
        guard bytes <= maxStringBytes else { throw exceeded("bytes in a string", maxStringBytes) }
    }

    static func checkList(_ items: Int) throws {
        guard items <= maxListItems else { throw exceeded("items in a list", maxListItems) }
    }

    /// A string's characters as a list, refusing one that would exceed `maxListItems` before building it.
    static func characters(_ string: String) throws -> [JinjaValue] {
        if string.utf8.count > maxListItems { try checkList(string.count) }
        return string.map { .string(String($0)) }
    }
}

extension JinjaValue {
    /// Bytes a value stands for when it is built, compared or printed: a string's UTF-8, 16 per list item or
    /// dictionary entry plus what they hold, 16 for a scalar or a namespace (a reference, printed "<Namespace>").
    /// Stops counting past `limit`, so measuring costs at most one visit per 16 bytes of budget, whatever is shared.
    func size(upTo limit: Int) -> Int {
        switch self {
        case .string(let string):
            return string.utf8.count
        case .list(let items):
            var total = 16
            for item in items where total <= limit { total += 16 + item.size(upTo: limit - total) }
            return total
        case .dictionary(let dictionary):
            var total = 16
            for key in dictionary.keys where total <= limit {
                total += 16 + key.utf8.count + dictionary.values[key]!.size(upTo: limit - total)
            }
            return total
        default:
            return 16
        }
    }

    /// Whether a namespace is this value or inside it. Values in namespaces hold none, so this never cycles.
    var containsNamespace: Bool {
        switch self {
        case .namespace: true
        case .list(let items): items.contains { $0.containsNamespace }
        case .dictionary(let dictionary): dictionary.keys.contains { dictionary.values[$0]!.containsNamespace }
        default: false
        }
    }

    /// Nesting depth of lists, dictionaries and namespaces (a scalar is 0), counting no further than `limit + 1`
    /// (a namespace that holds itself is deeper than any limit).
    func depth(limit: Int) -> Int {
        guard limit >= 0 else { return 1 }
        func deepest(_ values: some Sequence<JinjaValue>) -> Int {
            var deepest = 0
            for value in values where deepest <= limit { deepest = max(deepest, value.depth(limit: limit - 1)) }
            return 1 + deepest
        }
        switch self {
        case .list(let items): return deepest(items)
        case .dictionary(let dictionary): return deepest(dictionary.keys.lazy.map { dictionary.values[$0]! })
        case .namespace(let namespace):
            return deepest(namespace.attributes.keys.lazy.map { namespace.attributes.values[$0]! })
        default: return 0
        }
    }
}

extension JinjaValue {
    /// `size` without looking inside: a string's bytes, 16 per list item or dictionary entry.
    var shallowSize: Int {
        switch self {
        case .string(let string): string.utf8.count
        case .list(let items): 16 * items.count
        case .dictionary(let dictionary): 16 * dictionary.keys.count
        default: 16
        }
    }
}

extension String {
    /// Non-overlapping occurrences of `part` (non-empty), counting no further than `limit + 1`.
    func occurrences(of part: String, limit: Int) -> Int {
        guard !part.isEmpty else { return 0 }
        var count = 0
        var searchRange = startIndex..<endIndex
        while count <= limit, let found = range(of: part, range: searchRange) {
            count += 1
            searchRange = found.upperBound..<endIndex
        }
        return count
    }
}
