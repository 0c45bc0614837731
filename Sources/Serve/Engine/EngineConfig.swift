import Model
import Scheduler

/// Sizes and limits of `LlamaBatchEngine`; the server builds it from config.json's `scheduler` section and
/// the command line (`--kv-cache-memory`).
struct EngineConfig: Sendable, Equatable {
    /// Running sequences at most.
    var maxNumSeqs: Int = 32
    /// Tokens per step (decodes + prefill chunks). Smaller keeps running streams' inter-token latency
    /// steady while a long prompt prefills; larger prefills faster.
    var maxNumBatchedTokens: Int = 256
    /// Prompts longer than this prefill at most `longPrefillChunkTokens` per step beside running decodes.
    var longPrefillTokenThreshold: Int = 256
    var longPrefillChunkTokens: Int = 16
    /// KV block size in tokens.
    var blockSize: Int = 16
    /// Bytes of K/V storage; the pool has `kvCacheMemoryBytes / (bytesPerToken * blockSize)` blocks.
    var kvCacheMemoryBytes: Int = 512 << 20
    /// How K/V are stored (the target's and a draft model's): f16 fits twice the tokens in `kvCacheMemoryBytes`.
    var kvCacheDType: KVCacheDType = .f32
    /// Requests accepted but not yet running; `generate` throws `.overloaded` beyond it.
    var maxWaitingRequests: Int = 256
    var bucketEdges: [Int] = SchedulerConfig.defaultBucketEdges
    /// Aging bound of the waiting queue.
    var maxWaitSeconds: Double = 2.0
    /// Automatic prefix caching (`SchedulerConfig.enablePrefixCaching`).
    var enablePrefixCaching = true
    /// Events (about one per token, a few hundred bytes each) a stream may hold unread; a client further behind has
    /// its request cancelled, so an open connection that stopped reading costs bounded memory and never slows the batch.
    var maxBufferedEvents = 1024
    /// On graceful shutdown, how long requests in flight may go on before they end with a `shutting_down` error.
    var shutdownGraceSeconds = 30.0
    var speculation = SpeculationConfig()

    /// Blocks that fit the memory budget for `model` (at least one).
    func numBlocks(for model: LlamaConfig) -> Int {
        let bytesPerBlock = PagedKVCache.bytesPerToken(model, dtype: kvCacheDType) * max(1, blockSize)
        return max(1, kvCacheMemoryBytes / bytesPerBlock)
    }

    /// The scheduler's config. Its queue bound leaves room for preempted sequences (at most `maxNumSeqs`),
    /// which go back to the waiting queue without passing the engine's own admission count.
    func schedulerConfig(for model: LlamaConfig) -> SchedulerConfig {
        SchedulerConfig(
            maxNumSeqs: maxNumSeqs,
            maxNumBatchedTokens: maxNumBatchedTokens,
            longPrefillTokenThreshold: longPrefillTokenThreshold,
            longPrefillChunkTokens: longPrefillChunkTokens,
            blockSize: blockSize,
            numBlocks: numBlocks(for: model),
            bucketEdges: bucketEdges,
            maxWaitSeconds: maxWaitSeconds,
            maxWaitingRequests: maxWaitingRequests + maxNumSeqs,
            enablePrefixCaching: enablePrefixCaching
        )
    }
}
