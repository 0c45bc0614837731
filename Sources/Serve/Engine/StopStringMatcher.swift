/// Finds stop strings in streamed text and holds back whatever could still become one.
///
/// Works on UTF-8 bytes: a stop string starts with a lead byte, so every cut (at a match or before a
/// held-back suffix that is a stop string's prefix) falls on a character boundary, given input chunks
/// that never split a character (`StreamDecoder` guarantees that).
struct StopStringMatcher: Sendable {
    private let stops: [[UInt8]]
    /// Text received but not emitted: the longest suffix that is a proper prefix of some stop string.
    private var held: [UInt8] = []

    init(stopStrings: [String]) {
        stops = stopStrings.filter { !$0.isEmpty }.map { Array($0.utf8) }
    }

    /// Adds `text`; returns what can be emitted now, and whether a stop string matched (then `text` is
    /// everything before the first match, and the caller ends the sequence).
    mutating func append(_ text: String) -> (text: String, stopped: Bool) {
        if stops.isEmpty { return (text, false) }
        var buffer = held
        buffer.append(contentsOf: text.utf8)
        if let match = firstMatch(in: buffer) {
            held = []
            return (String(decoding: buffer[..<match], as: UTF8.self), true)
        }
        let keep = longestPrefixSuffix(of: buffer)
        held = Array(buffer[(buffer.count - keep)...])
        return (String(decoding: buffer[..<(buffer.count - keep)], as: UTF8.self), false)
    }

    /// The held-back text (the sequence ended for another reason, so it was not a stop string after all).
    mutating func flush() -> String {
        defer { held = [] }
        return String(decoding: held, as: UTF8.self)
    }

    /// Start of the earliest occurrence of any stop string.
    private func firstMatch(in buffer: [UInt8]) -> Int? {
        var best: Int?
        for stop in stops where stop.count <= buffer.count {
            let limit = min(buffer.count - stop.count, (best ?? Int.max) - 1)
            guard limit >= 0 else { continue }
            for start in 0...limit where buffer[start] == stop[0] && buffer[start..<(start + stop.count)].elementsEqual(stop) {
                best = start
                break
            }
        }
        return best
    }

    /// Length of the longest suffix of `buffer` that is a proper prefix of some stop string.
    private func longestPrefixSuffix(of buffer: [UInt8]) -> Int {
        var longest = 0
        for stop in stops {
            var length = min(stop.count - 1, buffer.count)
            while length > longest {
                if buffer[(buffer.count - length)...].elementsEqual(stop[..<length]) {
                    longest = length
                    break
                }
                length -= 1
            }
        }
        return longest
    }
}
