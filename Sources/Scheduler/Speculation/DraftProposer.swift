/// Proposes draft tokens for one sequence: cheap guesses of what follows, verified by the target model in
/// the next step's forward (one row per draft). A proposer never changes the output, only its speed.
public protocol DraftProposer: Sendable {
    /// Up to `maxTokens` tokens likely to follow `tokens` (prompt + output so far); empty when it has no guess.
    mutating func propose(after tokens: [Int], numPromptTokens: Int, maxTokens: Int) -> [Int]
    /// The target accepted the first `numAccepted` tokens of the last proposal.
    mutating func observe(numAccepted: Int)
}

extension DraftProposer {
    public mutating func observe(numAccepted: Int) {}
}

/// Prompt lookup: find the longest suffix of the sequence (n tokens, `maxN` down to `minN`) earlier in the
/// sequence and propose the tokens that followed its most recent occurrence. Costs a scan of the sequence
/// per step and no model; wins on output that quotes its input (extraction, edits, code, repetition).
public struct NgramProposer: DraftProposer {
    public let minN: Int
    public let maxN: Int

    public init(minN: Int = 2, maxN: Int = 4) {
        self.minN = max(1, minN)
        self.maxN = max(self.minN, maxN)
    }

    public func propose(after tokens: [Int], numPromptTokens: Int, maxTokens: Int) -> [Int] {
        guard maxTokens > 0 else { return [] }
        for n in stride(from: min(maxN, tokens.count - 1), through: minN, by: -1) {
            if let start = Self.lastOccurrence(ofSuffix: n, in: tokens) {
                let follow = start + n
                return Array(tokens[follow..<min(tokens.count, follow + maxTokens)])
            }
        }
        return []
    }

    /// Start of the latest earlier occurrence of the last `n` tokens, or nil.
    static func lastOccurrence(ofSuffix n: Int, in tokens: [Int]) -> Int? {
        let suffixStart = tokens.count - n
        guard n > 0, suffixStart > 0 else { return nil }
        return tokens.withUnsafeBufferPointer { t in
            var start = suffixStart - 1
            while start >= 0 {
                var i = 0
                while i < n && t[start + i] == t[suffixStart + i] { i += 1 }
                if i == n { return start }
                start -= 1
            }
            return nil
        }
    }
}
