/// A runtime value while rendering. Not `Sendable`: it lives only inside one `render` call.
enum JinjaValue {
    case undefined
    case none
    case boolean(Bool)
    case integer(Int)
    case float(Double)
    case string(String)
    case list([JinjaValue])
    case dictionary(JinjaDictionary)
    /// `namespace(...)`: the one mutable object Jinja templates can assign attributes on.
    case namespace(JinjaNamespace)

    init(_ literal: JinjaLiteral) {
        switch literal {
        case .string(let value): self = .string(value)
        case .integer(let value): self = .integer(value)
        case .float(let value): self = .float(value)
        case .boolean(let value): self = .boolean(value)
        case .none: self = .none
        }
    }

    /// Python truthiness.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: false
        case .boolean(let value): value
        case .integer(let value): value != 0
        case .float(let value): value != 0
        case .string(let value): !value.isEmpty
        case .list(let value): !value.isEmpty
        case .dictionary(let value): !value.keys.isEmpty
        case .namespace: true
        }
    }

    /// `str(value)` as Jinja prints it.
    var text: String {
        switch self {
        case .undefined: ""
        case .string(let value): value
        default: repr
        }
    }

    /// Python `repr`, used inside printed lists and dictionaries.
    var repr: String {
        switch self {
        case .undefined: ""
        case .none: "None"
        case .boolean(let value): value ? "True" : "False"
        case .integer(let value): String(value)
        case .float(let value): value == value.rounded() && abs(value) < 1e16 ? "\(Int(value)).0" : "\(value)"
        case .string(let value): JinjaValue.pythonRepr(value)
        case .list, .dictionary:
            { var result = ""; appendRepr(to: &result); return result }()
        case .namespace: "<Namespace>"
        }
    }

    /// Appends `repr`, stopping once `result` passes `JinjaLimits.maxStringBytes` (the caller's size check then
    /// throws), so printing a list that shares one long string many times cannot build gigabytes first.
    private func appendRepr(to result: inout String) {
        func separate(_ index: Int) { if index > 0 { result += ", " } }
        switch self {
        case .list(let items):
            result += "["
            for (index, item) in items.enumerated() where result.utf8.count <= JinjaLimits.maxStringBytes {
                separate(index)
                item.appendRepr(to: &result)
            }
            result += "]"
        case .dictionary(let dictionary):
            result += "{"
            for (index, key) in dictionary.keys.enumerated() where result.utf8.count <= JinjaLimits.maxStringBytes {
                separate(index)
                result += JinjaValue.pythonRepr(key) + ": "
                dictionary.values[key]!.appendRepr(to: &result)
            }
            result += "}"
        default:
            result += repr
        }
    }

    /// Python's `repr(str)`: single quotes unless the string contains `'` but no `"`.
    static func pythonRepr(_ string: String) -> String {
        let quote: Character = string.contains("'") && !string.contains("\"") ? "\"" : "'"
        var result = String(quote)
        for character in string {
            switch character {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            case quote: result += "\\" + String(quote)
            default: result.append(character)
            }
        }
        result.append(quote)
        return result
    }

    var typeName: String {
        switch self {
        case .undefined: "undefined"
        case .none: "none"
        case .boolean: "bool"
        case .integer: "int"
        case .float: "float"
        case .string: "string"
        case .list: "list"
        case .dictionary: "dict"
        case .namespace: "namespace"
        }
    }
}

/// A string-keyed dictionary that keeps insertion order, like Python's `dict`.
struct JinjaDictionary {
    var keys: [String] = []
    var values: [String: JinjaValue] = [:]

    subscript(key: String) -> JinjaValue? {
        get { values[key] }
        set {
            if values[key] == nil, newValue != nil { keys.append(key) }
            if newValue == nil { keys.removeAll { $0 == key } }
            values[key] = newValue
        }
    }
}

final class JinjaNamespace {
    var attributes: JinjaDictionary
    init(_ attributes: JinjaDictionary) { self.attributes = attributes }
}

extension JinjaValue {
    /// Python `==`.
    func isEqual(to other: JinjaValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): true
        case (.boolean(let a), .boolean(let b)): a == b
        case (.integer(let a), .integer(let b)): a == b
        case (.float(let a), .float(let b)): a == b
        case (.integer(let a), .float(let b)), (.float(let b), .integer(let a)): Double(a) == b
        case (.string(let a), .string(let b)): a == b
        case (.list(let a), .list(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.isEqual(to: $1) }
        case (.dictionary(let a), .dictionary(let b)):
            Set(a.keys) == Set(b.keys) && a.keys.allSatisfy { a.values[$0]!.isEqual(to: b.values[$0]!) }
        case (.namespace(let a), .namespace(let b)): a === b
        default: false
        }
    }
}
