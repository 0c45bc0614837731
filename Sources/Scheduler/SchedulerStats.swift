/// A snapshot for /metrics.
public struct SchedulerStats: Sendable, Equatable {
    /// Running sequences, prefilling or decoding.
    public var numRunning: Int
    /// Waiting sequences, including preempted ones awaiting recompute.
    public var numWaiting: Int
    public var numFreeBlocks: Int
    public var numTotalBlocks: Int
    /// Blocks the prefix cache can find (in use or free).
    public var numCachedBlocks: Int
    public var numPreemptionsTotal: Int
    /// Prompt tokens admissions looked up in the prefix cache, and found there, since the start.
    public var numPrefixCacheQueryTokens: Int
    public var numPrefixCacheHitTokens: Int
    /// Cached blocks taken for other content since the start.
    public var numEvictedBlocksTotal: Int
    /// Waiting requests per bucket of `bucketEdges` plus the overflow bucket last (preempted ones by their
    /// recompute length).
    public var waitingPerBucket: [Int]
    /// Waste if the last plan's chunks were padded to its longest: `1 - tokens / (numChunks * longestChunk)`.
    public var lastStepPaddingRatio: Double

    public init(
        numRunning: Int, numWaiting: Int, numFreeBlocks: Int, numTotalBlocks: Int, numCachedBlocks: Int = 0,
        numPreemptionsTotal: Int, numPrefixCacheQueryTokens: Int = 0, numPrefixCacheHitTokens: Int = 0,
        numEvictedBlocksTotal: Int = 0,
        waitingPerBucket: [Int], lastStepPaddingRatio: Double
    ) {
        self.numRunning = numRunning
        self.numWaiting = numWaiting
        self.numFreeBlocks = numFreeBlocks
        self.numTotalBlocks = numTotalBlocks
        self.numCachedBlocks = numCachedBlocks
        self.numPreemptionsTotal = numPreemptionsTotal
        self.numPrefixCacheQueryTokens = numPrefixCacheQueryTokens
        self.numPrefixCacheHitTokens = numPrefixCacheHitTokens
        self.numEvictedBlocksTotal = numEvictedBlocksTotal
        self.waitingPerBucket = waitingPerBucket
        self.lastStepPaddingRatio = lastStepPaddingRatio
    }

    /// Fraction of KV blocks some sequence lists, 0...1 (free cached blocks count as free).
    public var kvCacheUsage: Double {
        numTotalBlocks == 0 ? 0 : Double(numTotalBlocks - numFreeBlocks) / Double(numTotalBlocks)
    }
}
