/// A set of token ids as a bitset over the vocabulary: bit `id % 64` of `words[id / 64]`.
public struct TokenMask: Sendable, Equatable {
    /// Vocabulary size.
    public let count: Int
    public internal(set) var words: [UInt64]

    public init(count: Int) {
        self.count = count
        words = [UInt64](repeating: 0, count: (count + 63) / 64)
    }

    public func contains(_ token: Int) -> Bool {
        token >= 0 && token < count && words[token >> 6] & (1 << UInt64(token & 63)) != 0
    }

    /// How many tokens are allowed.
    public var numAllowed: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    mutating func insert(_ token: Int) { words[token >> 6] |= 1 << UInt64(token & 63) }

    mutating func removeAll() {
        words.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}
