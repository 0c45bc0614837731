/// Limits and sizes of the scheduler: how many sequences run at once, how many tokens a step may carry,
/// the paged KV pool, and the length buckets of the waiting queue.
public struct SchedulerConfig: Sendable, Equatable {
    /// Running sequences at most (prefilling or decoding).
    public var maxNumSeqs: Int
    /// Tokens per step: one per decode plus the prefill chunks.
    public var maxNumBatchedTokens: Int
    /// A prefill of more tokens than this is long (vLLM's `long_prefill_token_threshold`)...
    public var longPrefillTokenThreshold: Int
    /// ...and, while other sequences decode, advances at most this many tokens per step, so that their
    /// inter-token latency stays near a decode step's however long the prompt. Alone, it takes the whole budget.
    public var longPrefillChunkTokens: Int
    /// KV block size in tokens.
    public var blockSize: Int
    /// KV blocks in the pool.
    public var numBlocks: Int
    /// Upper edges (inclusive) of the prompt-length buckets, ascending; longer prompts go to one overflow bucket.
    public var bucketEdges: [Int]
    /// Aging bound: a request waiting longer than this is admitted before any bucket choice.
    public var maxWaitSeconds: Double
    /// Queue bound; `add` beyond it throws `.queueFull`.
    public var maxWaitingRequests: Int
    /// Automatic prefix caching: full blocks of final tokens stay findable by content after their sequence
    /// ends, and an admission starts after the longest cached prefix of its tokens (see `BlockPool`).
    public var enablePrefixCaching: Bool

    /// Powers of two 16...8192.
    public static let defaultBucketEdges: [Int] = (4...13).map { 1 << $0 }

    /// Values are clamped to sane minimums (at least one sequence, one token, one block of one token) and the
    /// bucket edges are sorted and deduplicated, so every config the engine builds is a working one.
    public init(
        maxNumSeqs: Int = 16,
        maxNumBatchedTokens: Int = 128,
        longPrefillTokenThreshold: Int = 256,
        longPrefillChunkTokens: Int = 16,
        blockSize: Int = 16,
        numBlocks: Int = 1024,
        bucketEdges: [Int] = SchedulerConfig.defaultBucketEdges,
        maxWaitSeconds: Double = 2.0,
        maxWaitingRequests: Int = 256,
        enablePrefixCaching: Bool = true
    ) {
        self.maxNumSeqs = max(1, maxNumSeqs)
        self.maxNumBatchedTokens = max(1, maxNumBatchedTokens)
        self.longPrefillTokenThreshold = max(1, longPrefillTokenThreshold)
        self.longPrefillChunkTokens = max(1, longPrefillChunkTokens)
        self.blockSize = max(1, blockSize)
        self.numBlocks = max(1, numBlocks)
        self.bucketEdges = Array(Set(bucketEdges.filter { $0 > 0 })).sorted()
        self.maxWaitSeconds = maxWaitSeconds
        self.maxWaitingRequests = max(0, maxWaitingRequests)
        self.enablePrefixCaching = enablePrefixCaching
    }

    /// The largest `prompt + maxNewTokens` a request may have: the whole pool.
    public var maxSequenceTokens: Int { numBlocks * blockSize }

    /// Index of the bucket a prompt of `numTokens` falls into: the first edge >= numTokens, or
    /// `bucketEdges.count` (the overflow bucket).
    public func bucketIndex(numTokens: Int) -> Int {
        bucketEdges.firstIndex { numTokens <= $0 } ?? bucketEdges.count
    }

    /// Number of buckets including the overflow bucket.
    public var numBuckets: Int { bucketEdges.count + 1 }
}
