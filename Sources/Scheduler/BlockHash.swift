/// Names the contents of a full KV block: its token ids and, through its parent's hash, every token before them.
/// Blocks with equal hashes hold the same KV, so a sequence whose tokens start the same way reads them instead
/// of computing them. Nothing else goes in: a pool serves one model with one KV dtype, and its blocks die with
/// the process; an input that changed a block's KV beyond its tokens (a LoRA adapter, an image) would join here.
///
/// 128 bits from two independently seeded lanes of multiply–xorshift mixing, so an accidental collision (which
/// would serve one prompt another's KV) is out of reach: about n²/2¹²⁹ for n cached blocks. Not cryptographic;
/// where tenants must be isolated from each other, vLLM offers sha256 for the same purpose.
public struct BlockHash: Hashable, Sendable {
    public let high: UInt64
    public let low: UInt64

    /// The hash of a block holding `tokens` after the block hashed `parent` (nil: the sequence's first block).
    public init(parent: BlockHash?, tokens: some Collection<Int>) {
        var high: UInt64 = 0x6a09_e667_f3bc_c908
        var low: UInt64 = 0xbb67_ae85_84ca_a73b
        func absorb(_ word: UInt64) {
            high = Self.mix((high ^ word) &* 0x9e37_79b9_7f4a_7c15)
            low = Self.mix((low &+ word) &* 0xc2b2_ae3d_27d4_eb4f ^ 0x1656_67b1_9e37_79f9)
        }
        // The root is told apart from every parent, and the length from the tokens.
        absorb(parent == nil ? 0 : 1)
        absorb(parent?.high ?? 0)
        absorb(parent?.low ?? 0)
        absorb(UInt64(tokens.count))
        for token in tokens { absorb(UInt64(bitPattern: Int64(token))) }
        self.high = high
        self.low = low
    }

    /// SplitMix64's finalizer: every input bit reaches every output bit.
    private static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
