/// Which random draw at one output position: each has its own independent value, so using one never shifts
/// another.
public enum DrawStream: UInt64, Sendable, CaseIterable {
    /// The ordinary draw of the token at that position (and the bonus token after accepted drafts).
    case sample = 1
    /// The accept test of a draft token (`u < p/q`).
    case accept = 2
    /// The draw from the residual `norm(max(0, p − q))` after a rejection.
    case residual = 3
    /// The draft model's own draw of its proposal for that position.
    case draft = 4
}

/// Keyed random draws: a value is a pure function of (seed, choice index, output position, stream), not the
/// next value of a stream. A token's draw therefore does not depend on how many drafts were tried (and thrown
/// away) before it, and a seeded request gives the same tokens with or without speculative decoding.
public enum RandomSource {
    /// Uniform in [0, 1), the same for the same inputs on every platform.
    public static func unit(seed: UInt64, choiceIndex: Int, position: Int, stream: DrawStream) -> Double {
        Double(hash(seed: seed, choiceIndex: choiceIndex, position: position, stream: stream) >> 11) * 0x1.0p-53
    }

    /// SplitMix64's finalizer applied after folding in each word. Each step is a bijection of the running
    /// state, and the finalizer's avalanche makes neighbouring keys (position 5 and 6) unrelated.
    static func hash(seed: UInt64, choiceIndex: Int, position: Int, stream: DrawStream) -> UInt64 {
        var state = mix(seed &+ golden)
        state = mix(state ^ (UInt64(bitPattern: Int64(choiceIndex)) &+ golden))
        state = mix(state ^ (UInt64(bitPattern: Int64(position)) &+ golden))
        return mix(state ^ (stream.rawValue &+ golden))
    }

    /// SplitMix64's increment (2^64 / φ), so that a zero word still changes the state.
    private static let golden: UInt64 = 0x9E37_79B9_7F4A_7C15

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
