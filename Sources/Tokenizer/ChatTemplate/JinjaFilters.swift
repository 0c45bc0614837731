/// Jinja filters (`value|name(args)`) and tests (`value is name`).
extension JinjaBuiltins {
    static func filter(_ name: String, _ value: JinjaValue, _ arguments: [JinjaValue]) throws -> JinjaValue {
        switch name {
        case "trim":
            return try callMethod("strip", on: .string(value.text), arguments)
        case "upper": return .string(value.text.uppercased())
        case "lower": return .string(value.text.lowercased())
        case "capitalize": return .string(capitalize(value.text))
        case "title": return .string(value.text.capitalized)
        case "string": return .string(value.text)
        case "length", "count":
            switch value {
            case .string(let string): return .integer(string.count)
            case .list(let list): return .integer(list.count)
            case .dictionary(let dictionary): return .integer(dictionary.keys.count)
            default: throw fail("object of type \(value.typeName) has no length")
            }
        case "first", "last":
            guard case .list(let list) = value else { throw fail("\(name) filter needs a list") }
            return (name == "first" ? list.first : list.last) ?? .undefined
        case "reverse":
            switch value {
            case .list(let list): return .list(list.reversed())
            case .string(let string): return .string(String(string.reversed()))
            default: throw fail("cannot reverse \(value.typeName)")
            }
        case "join":
            guard case .list(let list) = value else { throw fail("join filter needs a list") }
            let separator = arguments.first?.text ?? ""
            // Checked before building: n items each followed by an m-byte separator add n × m.
            let (separators, overflow) = separator.utf8.count.multipliedReportingOverflow(by: max(list.count - 1, 0))
            guard !overflow, separators <= JinjaLimits.maxStringBytes else {
                throw JinjaLimits.exceeded("bytes in a string", JinjaLimits.maxStringBytes)
            }
            return .string(list.map(\.text).joined(separator: separator))
        case "default", "d":
            let useFallback: Bool
            if case .undefined = value { useFallback = true } else { useFallback = arguments.count > 1 && arguments[1].isTruthy && !value.isTruthy }
            return useFallback ? (arguments.first ?? .string("")) : value
        case "int":
            switch value {
            case .integer: return value
            case .float(let number): return .integer(Int(exactly: number.rounded(.towardZero)) ?? 0)
            case .string(let string): return .integer(Int(string.trimmingCharacters(in: .whitespaces)) ?? 0)
            case .boolean(let flag): return .integer(flag ? 1 : 0)
            default: return .integer(0)
            }
        case "list":
            switch value {
            case .list: return value
            case .string(let string): return .list(try JinjaLimits.characters(string))
            case .dictionary(let dictionary): return .list(dictionary.keys.map { .string($0) })
            default: throw fail("cannot convert \(value.typeName) to a list")
            }
        case "items":
            return try callMethod("items", on: value, [])
        case "replace":
            return try callMethod("replace", on: .string(value.text), arguments)
        case "selectattr", "rejectattr", "select", "reject":
            guard case .list(let list) = value else { throw fail("\(name) filter needs a list") }
            let byAttribute = name.hasSuffix("attr")
            if byAttribute, arguments.isEmpty { throw fail("\(name) needs an attribute name") }
            let attribute = arguments.first?.text ?? ""
            let testArguments = Array(arguments.dropFirst(byAttribute ? 1 : 0))
            let keep = name.hasPrefix("select")
            return .list(try list.filter { item in
                let subject = byAttribute ? try member(of: item, attribute, description: attribute) : item
                guard case .string(let testName)? = testArguments.first else { return subject.isTruthy == keep }
                return try test(testName, subject, Array(testArguments.dropFirst())) == keep
            })
        case "tojson":
            var indent: Int?
            if case .integer(let spaces)? = arguments.first {
                // Python treats a negative indent as 0; a huge one would allocate its spaces on every line.
                guard spaces <= 64 else { throw fail("tojson indent \(spaces) exceeds the limit of 64") }
                indent = max(spaces, 0)
                guard value.size(upTo: JinjaLimits.maxStringBytes) * (1 + indent!) <= JinjaLimits.maxStringBytes else {
                    throw JinjaLimits.exceeded("bytes in a string", JinjaLimits.maxStringBytes)
                }
            }
            return .string(try JinjaJSON.serialize(value, indent: indent))
        default:
            throw fail("unknown filter '\(name)'")
        }
    }

    static func test(_ name: String, _ value: JinjaValue, _ arguments: [JinjaValue]) throws -> Bool {
        switch (name, value) {
        case ("defined", .undefined): return false
        case ("defined", _): return true
        case ("undefined", .undefined): return true
        case ("undefined", _): return false
        case ("none", .none): return true
        case ("none", _): return false
        case ("string", .string): return true
        case ("string", _): return false
        case ("number", .integer), ("number", .float), ("integer", .integer), ("float", .float): return true
        case ("number", _), ("integer", _), ("float", _): return false
        case ("boolean", .boolean): return true
        case ("boolean", _): return false
        case ("true", .boolean(let flag)): return flag
        case ("false", .boolean(let flag)): return !flag
        case ("true", _), ("false", _): return false
        case ("mapping", .dictionary), ("mapping", .namespace): return true
        case ("mapping", _): return false
        case ("sequence", .list), ("sequence", .string), ("iterable", .list), ("iterable", .string), ("iterable", .dictionary):
            return true
        case ("sequence", .dictionary): return true
        case ("sequence", _), ("iterable", _): return false
        case ("even", .integer(let number)): return number % 2 == 0
        case ("odd", .integer(let number)): return number % 2 != 0
        case ("divisibleby", .integer(let number)):
            guard case .integer(let divisor)? = arguments.first, divisor != 0 else { throw fail("divisibleby needs a non-zero integer") }
            return number.remainderReportingOverflow(dividingBy: divisor).partialValue == 0  // Int.min % -1 traps
        case ("eq", _), ("equalto", _), ("sameas", _):
            guard let other = arguments.first else { throw fail("\(name) test needs an argument") }
            return value.isEqual(to: other)
        case ("ne", _):
            guard let other = arguments.first else { throw fail("ne test needs an argument") }
            return !value.isEqual(to: other)
        default:
            throw fail("unknown test '\(name)' for \(value.typeName)")
        }
    }
}
