import Foundation

/// The exact text of one value inside a JSON document, found by a path of object keys. A JSON Schema's meaning
/// depends on the order of its `properties` (it is the order of the output), which a decoded dictionary loses, so
/// the grammar is compiled from the schema's own text. The document has already been parsed successfully as a
/// whole; this only has to find the value's bounds.
enum RawJSON {
    /// The text of the value at `path` (object keys from the root), or nil if a key is missing or a step is not
    /// an object. With a key repeated, the last one counts, as in the decoded request.
    static func value(at path: [String], in data: Data) -> String? {
        let bytes = [UInt8](data)
        var scanner = Scanner(bytes: bytes)
        guard let range = scanner.find(path[...]) else { return nil }
        return String(decoding: bytes[range], as: UTF8.self)
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        /// At a value: the byte range of the value at `path` inside it.
        mutating func find(_ path: ArraySlice<String>) -> Range<Int>? {
            skipWhitespace()
            guard let key = path.first else {
                let start = index
                guard skipValue() else { return nil }
                return start..<index
            }
            guard peek == UInt8(ascii: "{") else { return nil }
            index += 1
            var found: Range<Int>?
            while true {
                skipWhitespace()
                if peek == UInt8(ascii: "}") { return found }
                guard let name = readString() else { return nil }
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { return nil }
                index += 1
                if name == key {
                    let start = index
                    if let range = find(path.dropFirst()) { found = range }
                    // Whatever `find` consumed, resume after the whole value.
                    index = start
                    skipWhitespace()
                }
                guard skipValue() else { return nil }
                skipWhitespace()
                if peek == UInt8(ascii: ",") { index += 1 }
            }
        }

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        /// A string token, decoded (the request parsed, so escapes are valid).
        mutating func readString() -> String? {
            let start = index
            guard skipString() else { return nil }
            return try? JSONDecoder().decode(String.self, from: Data(bytes[start..<index]))
        }

        mutating func skipString() -> Bool {
            guard peek == UInt8(ascii: "\"") else { return false }
            index += 1
            while let byte = peek {
                index += 1
                if byte == UInt8(ascii: "\\") { index += 1 } else if byte == UInt8(ascii: "\"") { return true }
            }
            return false
        }

        /// Past one value of any kind.
        mutating func skipValue() -> Bool {
            skipWhitespace()
            guard let byte = peek else { return false }
            if byte == UInt8(ascii: "\"") { return skipString() }
            if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                var depth = 0
                while let current = peek {
                    if current == UInt8(ascii: "\"") {
                        guard skipString() else { return false }
                        continue
                    }
                    index += 1
                    if current == UInt8(ascii: "{") || current == UInt8(ascii: "[") { depth += 1 }
                    if current == UInt8(ascii: "}") || current == UInt8(ascii: "]") {
                        depth -= 1
                        if depth == 0 { return true }
                    }
                }
                return false
            }
            // A number, true, false or null: up to the next delimiter.
            while let current = peek, !",}] \t\r\n".utf8.contains(current) { index += 1 }
            return true
        }
    }
}
