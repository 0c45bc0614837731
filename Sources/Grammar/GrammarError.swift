/// Why a schema cannot be compiled: what is wrong, which keyword, and where (a JSON pointer into the schema).
public struct GrammarError: Error, Sendable, Equatable, CustomStringConvertible {
    /// E.g. "unsupported keyword 'patternProperties'".
    public var message: String
    /// The offending keyword, if any.
    public var keyword: String?
    /// JSON pointer of where it is, e.g. "/properties/tags/patternProperties" ("" is the whole schema).
    public var pointer: String

    public init(message: String, keyword: String? = nil, pointer: String) {
        self.message = message
        self.keyword = keyword
        self.pointer = pointer
    }

    /// "unsupported keyword 'patternProperties' at /properties/tags/patternProperties"
    public var description: String { "\(message) at \(pointer.isEmpty ? "/" : pointer)" }
}

extension GrammarError {
    static func unsupported(_ keyword: String, at pointer: String) -> GrammarError {
        GrammarError(message: "unsupported keyword '\(keyword)'", keyword: keyword, pointer: pointer)
    }

    static func invalid(_ keyword: String, at pointer: String, _ reason: String) -> GrammarError {
        GrammarError(message: "invalid '\(keyword)': \(reason)", keyword: keyword, pointer: pointer)
    }
}

/// Appends a reference token to a JSON pointer, escaping "~" and "/" (RFC 6901).
func appendPointer(_ pointer: String, _ token: String) -> String {
    var out = pointer + "/"
    for character in token {
        switch character {
        case "~": out += "~0"
        case "/": out += "~1"
        default: out.append(character)
        }
    }
    return out
}

/// A JSON pointer reference token unescaped ("~1" -> "/", "~0" -> "~").
func unescapePointerToken(_ token: Substring) -> String {
    var out = ""
    var iterator = token.makeIterator()
    while let character = iterator.next() {
        guard character == "~" else { out.append(character); continue }
        switch iterator.next() {
        case "0": out += "~"
        case "1": out += "/"
        case let other?: out += "~" + String(other)
        case nil: out += "~"
        }
    }
    return out
}

/// "%20" -> " " (URI fragment percent-encoding); invalid sequences are kept as written.
func percentDecoded(_ text: String) -> String {
    var bytes: [UInt8] = []
    let utf8 = Array(text.utf8)
    var index = 0
    while index < utf8.count {
        if utf8[index] == UInt8(ascii: "%"), index + 2 < utf8.count,
           let value = UInt8(String(decoding: utf8[index + 1...index + 2], as: UTF8.self), radix: 16) {
            bytes.append(value)
            index += 3
        } else {
            bytes.append(utf8[index])
            index += 1
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}
