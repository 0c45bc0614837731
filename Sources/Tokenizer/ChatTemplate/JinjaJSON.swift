/// `tojson` as transformers defines it: `json.dumps(value, ensure_ascii=False, indent=indent)`.
enum JinjaJSON {
    static func serialize(_ value: JinjaValue, indent: Int?, depth: Int = 0) throws -> String {
        let newline = indent.map { "\n" + String(repeating: " ", count: $0 * (depth + 1)) }
        let closing = indent.map { "\n" + String(repeating: " ", count: $0 * depth) } ?? ""
        let separator = indent == nil ? ", " : ","
        switch value {
        case .none, .undefined: return "null"
        case .boolean(let flag): return flag ? "true" : "false"
        case .integer(let number): return String(number)
        case .float: return value.repr
        case .string(let string): return quote(string)
        case .list(let items):
            guard !items.isEmpty else { return "[]" }
            let parts = try items.map { (newline ?? "") + (try serialize($0, indent: indent, depth: depth + 1)) }
            return "[" + parts.joined(separator: separator) + closing + "]"
        case .dictionary(let dictionary):
            guard !dictionary.keys.isEmpty else { return "{}" }
            let parts = try dictionary.keys.map {
                (newline ?? "") + quote($0) + ": " + (try serialize(dictionary.values[$0]!, indent: indent, depth: depth + 1))
            }
            return "{" + parts.joined(separator: separator) + closing + "}"
        case .namespace:
            throw TokenizerError.templateError("cannot serialize a namespace to JSON")
        }
    }

    static func quote(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
