/// The scheduler's record of one live sequence, waiting or running.
///
/// Token layout: `tokens` = prompt + generated. While decoding, every token but the last sampled one is in the
/// KV cache (`numCachedTokens == tokens.count - 1`); the next step feeds that last token. A preempted
/// sequence drops its cache and, when readmitted, prefills all of `tokens` again (recompute).
struct SequenceState: Sendable, Equatable {
    let id: SequenceID
    let arrivalTime: Double
    /// Position in `add` order; breaks arrival-time ties so FIFO is total.
    let addOrder: Int
    let numPromptTokens: Int
    let maxNewTokens: Int
    /// Prompt followed by every generated token so far.
    var tokens: [Int]
    /// Positions already written to this sequence's KV blocks.
    var numCachedTokens = 0
    /// Tokens this admission prefills: `tokens.count` at the moment it was (re)admitted; 0 while waiting.
    var numPrefillTokens = 0
    var blockTable: [Int] = []
    var isRunning = false
    /// Leading blocks of `blockTable` full of final tokens and offered to the prefix cache (published, or
    /// found there at admission): `numCachedTokens / blockSize` after every commit.
    var numFinalBlocks = 0
    /// `BlockHash` of each full block of `tokens` computed so far (tokens never change once appended, so
    /// neither do these; kept across preemption).
    private(set) var blockHashes: [BlockHash] = []

    init(request: SequenceRequest, addOrder: Int) {
        id = request.id
        arrivalTime = request.arrivalTime
        self.addOrder = addOrder
        numPromptTokens = request.promptTokens.count
        maxNewTokens = request.maxNewTokens
        tokens = request.promptTokens
    }

    var numGeneratedTokens: Int { tokens.count - numPromptTokens }

    /// The hashes of the first `count` blocks of `tokens`, which must be full.
    mutating func blockHashes(count: Int, blockSize: Int) -> ArraySlice<BlockHash> {
        while blockHashes.count < count {
            let start = blockHashes.count * blockSize
            blockHashes.append(BlockHash(parent: blockHashes.last, tokens: tokens[start..<start + blockSize]))
        }
        return blockHashes.prefix(count)
    }
    /// Running and not yet through this admission's prefill (its steps produce no token until the last chunk).
    var isPrefilling: Bool { isRunning && numCachedTokens < numPrefillTokens }
}
