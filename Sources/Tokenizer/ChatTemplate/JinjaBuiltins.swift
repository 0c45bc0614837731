import Foundation

/// Operators, attribute access, global functions, methods, filters and tests.
enum JinjaBuiltins {
    static func fail(_ message: String) -> TokenizerError { .templateError(message) }

    // MARK: Access

    /// `base.name`: a dictionary key or namespace attribute; undefined when absent.
    static func member(of base: JinjaValue, _ name: String, description: String) throws -> JinjaValue {
        switch base {
        case .dictionary(let dictionary): return dictionary[name] ?? .undefined
        case .namespace(let namespace): return namespace.attributes[name] ?? .undefined
        case .undefined: throw fail("'\(description)' accessed on an undefined value")
        default: return .undefined
        }
    }

    /// `base[index]`: list index (negative counts from the end) or dictionary key; undefined when absent.
    static func item(of base: JinjaValue, _ index: JinjaValue) throws -> JinjaValue {
        switch (base, index) {
        case (.list(let list), .integer(let position)):
            let resolved = position < 0 ? list.count + position : position
            return list.indices.contains(resolved) ? list[resolved] : .undefined
        case (.string(let string), .integer(let position)):
            // Walks |position| characters from the nearer end instead of building the array of all of them.
            let index = position < 0
                ? string.index(string.endIndex, offsetBy: position, limitedBy: string.startIndex)
                : string.index(string.startIndex, offsetBy: position, limitedBy: string.endIndex)
            guard let index, index < string.endIndex else { return .undefined }
            return .string(String(string[index]))
        case (.dictionary, .string(let key)), (.namespace, .string(let key)):
            return try member(of: base, key, description: key)
        case (.undefined, _):
            throw fail("subscript of an undefined value")
        default:
            return .undefined
        }
    }

    /// `base[start:stop:step]` on lists and strings, with Python's clamping.
    static func slice(_ base: JinjaValue, start: JinjaValue?, stop: JinjaValue?, step: JinjaValue?) throws -> JinjaValue {
        func integer(_ value: JinjaValue?) throws -> Int? {
            switch value {
            case nil, .none?: return nil
            case .integer(let number)?: return number
            default: throw fail("slice bounds must be integers")
            }
        }
        let stride = try integer(step) ?? 1
        guard stride != 0 else { throw fail("slice step cannot be zero") }
        func indices(count: Int) throws -> [Int] {
            func clamp(_ bound: Int?, _ defaultValue: Int) -> Int {
                guard var bound else { return defaultValue }
                if bound < 0 { bound += count }
                return stride > 0 ? min(max(bound, 0), count) : min(max(bound, -1), count - 1)
            }
            let lower = clamp(try integer(start), stride > 0 ? 0 : count - 1)
            let upper = clamp(try integer(stop), stride > 0 ? count : -1)
            return Array(Swift.stride(from: lower, to: upper, by: stride))
        }
        switch base {
        case .list(let list):
            return .list(try indices(count: list.count).map { list[$0] })
        case .string(let string):
            let characters = Array(string)
            return .string(String(try indices(count: characters.count).map { characters[$0] }))
        default:
            throw fail("cannot slice \(base.typeName)")
        }
    }

    // MARK: Operators

    static func binary(_ op: String, _ left: JinjaValue, _ right: JinjaValue) throws -> JinjaValue {
        switch op {
        case "==": return .boolean(left.isEqual(to: right))
        case "!=": return .boolean(!left.isEqual(to: right))
        case "~": return .string(left.text + right.text)
        case "in": return .boolean(try contains(right, left))
        default: break
        }
        switch (left, right) {
        case (.string(let a), .string(let b)):
            switch op {
            case "+": return .string(a + b)
            case "<": return .boolean(a < b)
            case ">": return .boolean(a > b)
            case "<=": return .boolean(a <= b)
            case ">=": return .boolean(a >= b)
            default: break
            }
        case (.list(let a), .list(let b)) where op == "+":
            return .list(a + b)
        case (.string(let a), .integer(let count)) where op == "*":
            // Checked before building: `'a' * 10**9` must not allocate a gigabyte first.
            let (bytes, overflow) = a.utf8.count.multipliedReportingOverflow(by: max(count, 0))
            guard !overflow, bytes <= JinjaLimits.maxStringBytes else {
                throw fail("string repetition of \(a.utf8.count) bytes × \(count) exceeds the limit of \(JinjaLimits.maxStringBytes) bytes in a string")
            }
            return .string(String(repeating: a, count: max(count, 0)))
        case (.integer(let a), .integer(let b)):
            let result: (partialValue: Int, overflow: Bool)
            switch op {
            case "+": result = a.addingReportingOverflow(b)
            case "-": result = a.subtractingReportingOverflow(b)
            case "*": result = a.multipliedReportingOverflow(by: b)
            case "//", "%":
                guard b != 0 else { throw fail("division by zero") }
                // Python floors; Swift truncates toward zero.
                // Int.min // -1 overflows (Python's answer is 2^63).
                guard !(a == .min && b == -1 && op == "//") else { throw fail("integer overflow in \(a) \(op) \(b)") }
                var quotient = a.dividedReportingOverflow(by: b).partialValue
                var remainder = a.remainderReportingOverflow(dividingBy: b).partialValue
                if remainder != 0, (remainder < 0) != (b < 0) {
                    quotient -= 1
                    remainder += b
                }
                return .integer(op == "//" ? quotient : remainder)
            default: result = (0, true)
            }
            if ["+", "-", "*"].contains(op) {
                guard !result.overflow else { throw fail("integer overflow in \(a) \(op) \(b)") }
                return .integer(result.partialValue)
            }
        default: break
        }
        if let a = number(left), let b = number(right) {
            switch op {
            case "+": return .float(a + b)
            case "-": return .float(a - b)
            case "*": return .float(a * b)
            case "/": guard b != 0 else { throw fail("division by zero") }; return .float(a / b)
            case "<": return .boolean(a < b)
            case ">": return .boolean(a > b)
            case "<=": return .boolean(a <= b)
            case ">=": return .boolean(a >= b)
            default: break
            }
        }
        throw fail("unsupported operand types for \(op): \(left.typeName) and \(right.typeName)")
    }

    static func number(_ value: JinjaValue) -> Double? {
        switch value {
        case .integer(let value): Double(value)
        case .float(let value): value
        default: nil
        }
    }

    static func contains(_ container: JinjaValue, _ element: JinjaValue) throws -> Bool {
        switch (container, element) {
        case (.string(let string), .string(let part)): return part.isEmpty || string.contains(part)
        case (.list(let list), _): return list.contains { $0.isEqual(to: element) }
        case (.dictionary(let dictionary), .string(let key)): return dictionary[key] != nil
        case (.dictionary, _): return false
        case (.undefined, _): throw fail("'in' on an undefined value")
        default: throw fail("'in' is not supported on \(container.typeName)")
        }
    }

    // MARK: Calls

    /// `strftime_now` is the evaluator's (it keeps one set of clock fields per render).
    static func callGlobal(_ name: String, _ arguments: [JinjaValue], _ keywords: JinjaDictionary) throws -> JinjaValue {
        switch name {
        case "raise_exception":
            throw fail(arguments.first?.text ?? "raise_exception called")
        case "namespace":
            return .namespace(JinjaNamespace(keywords))
        case "range":
            let bounds = arguments.compactMap { if case .integer(let n) = $0 { n } else { nil } }
            guard bounds.count == arguments.count, (1...3).contains(bounds.count) else { throw fail("range() takes 1 to 3 integers") }
            let (start, stop, step) = bounds.count == 1 ? (0, bounds[0], 1) : (bounds[0], bounds[1], bounds.count == 3 ? bounds[2] : 1)
            guard step != 0 else { throw fail("range() step cannot be zero") }
            var items: [JinjaValue] = []
            var current = start
            while step > 0 ? current < stop : current > stop {
                guard items.count < JinjaLimits.maxListItems else {
                    throw fail("range(\(start), \(stop), \(step)) exceeds the limit of \(JinjaLimits.maxListItems) items in a list")
                }
                items.append(.integer(current))
                let (next, overflow) = current.addingReportingOverflow(step)  // past Int.max / Int.min: done
                if overflow { break }
                current = next
            }
            return .list(items)
        default:
            throw fail("unknown function \(name)()")
        }
    }

    static func callMethod(_ method: String, on base: JinjaValue, _ arguments: [JinjaValue]) throws -> JinjaValue {
        let strings = arguments.map(\.text)
        switch (base, method) {
        case (.string(let string), "strip"), (.string(let string), "lstrip"), (.string(let string), "rstrip"):
            let characters = strings.first.map(Set.init)
            let strip: (Character) -> Bool = { characters?.contains($0) ?? $0.isWhitespace }
            var result = Substring(string)
            if method != "rstrip" { result = result.drop(while: strip) }
            if method != "lstrip" { while let last = result.last, strip(last) { result = result.dropLast() } }
            return .string(String(result))
        case (.string(let string), "upper"): return .string(string.uppercased())
        case (.string(let string), "lower"): return .string(string.lowercased())
        case (.string(let string), "title"): return .string(string.capitalized)
        case (.string(let string), "capitalize"): return .string(capitalize(string))
        case (.string(let string), "startswith"): return .boolean(strings.contains { string.hasPrefix($0) })
        case (.string(let string), "endswith"): return .boolean(strings.contains { string.hasSuffix($0) })
        case (.string(let string), "replace") where strings.count == 2:
            // Checked before building: replacing each of n occurrences with m bytes adds n × m.
            let growth = strings[1].utf8.count - strings[0].utf8.count
            if growth > 0 {
                let most = (JinjaLimits.maxStringBytes - string.utf8.count) / growth
                guard string.occurrences(of: strings[0], limit: most) <= most else {
                    throw JinjaLimits.exceeded("bytes in a string", JinjaLimits.maxStringBytes)
                }
            }
            return .string(string.replacingOccurrences(of: strings[0], with: strings[1]))
        case (.string(let string), "split"):
            if let separator = strings.first {
                guard !separator.isEmpty else { throw fail("split() separator cannot be empty") }
                try JinjaLimits.checkList(string.occurrences(of: separator, limit: JinjaLimits.maxListItems) + 1)
                return .list(string.components(separatedBy: separator).map { .string($0) })
            }
            let words = string.split(whereSeparator: \.isWhitespace)  // substrings: no copy before the check
            try JinjaLimits.checkList(words.count)
            return .list(words.map { .string(String($0)) })
        case (.dictionary(let dictionary), "items"):
            return .list(dictionary.keys.map { .list([.string($0), dictionary.values[$0]!]) })
        case (.dictionary(let dictionary), "keys"):
            return .list(dictionary.keys.map { .string($0) })
        case (.dictionary(let dictionary), "values"):
            return .list(dictionary.keys.map { dictionary.values[$0]! })
        case (.dictionary(let dictionary), "get"):
            guard case .string(let key)? = arguments.first else { throw fail("get() takes a string key") }
            return dictionary[key] ?? (arguments.count > 1 ? arguments[1] : .none)
        default:
            throw fail("unknown method \(method)() on \(base.typeName)")
        }
    }

    static func capitalize(_ string: String) -> String {
        guard let first = string.first else { return string }
        return first.uppercased() + string.dropFirst().lowercased()
    }

    /// What each supported strftime code prints at `date`. Formatting is slow (tens of µs per code), so a render
    /// computes these once and every `strftime_now` call is a scan of its format.
    static func strftimeFields(_ date: Date) -> [Character: String] {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        let patterns: [Character: String] = ["d": "dd", "m": "MM", "Y": "yyyy", "y": "yy", "B": "MMMM", "b": "MMM",
                                             "H": "HH", "M": "mm", "S": "ss", "A": "EEEE", "a": "EEE"]
        var fields: [Character: String] = ["%": "%"]
        for (code, pattern) in patterns {
            formatter.dateFormat = pattern
            fields[code] = formatter.string(from: date)
        }
        return fields
    }

    static func strftime(_ format: String, fields: [Character: String]) -> String {
        var result = ""
        var characters = format.makeIterator()
        while let character = characters.next() {
            guard character == "%", let code = characters.next() else { result.append(character); continue }
            result += fields[code] ?? "%\(code)"
        }
        return result
    }
}
