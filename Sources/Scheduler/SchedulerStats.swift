/// A snapshot for /metrics.
public struct SchedulerStats: Sendable, Equatable {
    /// Running sequences, prefilling or decoding.
    public var numRunning: Int
    /// Waiting sequences, including preempted ones awaiting recompute.
    public var numWaiting: Int
    public var numFreeBlocks: Int
    public var numTotalBlocks: Int
    public var numPreemptionsTotal: Int
    /// Waiting requests per bucket of `bucketEdges` plus the overflow bucket last (preempted ones by their
    /// recompute length).
    public var waitingPerBucket: [Int]
    /// Waste if the last plan's chunks were padded to its longest: `1 - tokens / (numChunks * longestChunk)`.
    public var lastStepPaddingRatio: Double

    public init(
        numRunning: Int, numWaiting: Int, numFreeBlocks: Int, numTotalBlocks: Int, numPreemptionsTotal: Int,
        waitingPerBucket: [Int], lastStepPaddingRatio: Double
    ) {
        self.numRunning = numRunning
        self.numWaiting = numWaiting
        self.numFreeBlocks = numFreeBlocks
        self.numTotalBlocks = numTotalBlocks
        self.numPreemptionsTotal = numPreemptionsTotal
        self.waitingPerBucket = waitingPerBucket
        self.lastStepPaddingRatio = lastStepPaddingRatio
    }

    /// Fraction of KV blocks in use, 0...1.
    public var kvCacheUsage: Double {
        numTotalBlocks == 0 ? 0 : Double(numTotalBlocks - numFreeBlocks) / Double(numTotalBlocks)
    }
}
