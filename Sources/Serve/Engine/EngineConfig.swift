import Model
import Scheduler

/// How `LlamaBatchEngine` runs. Each default is written once: the scheduling policy's in `SchedulerConfig`, the rest
/// here. config.json's `scheduler` and `speculation` sections and `serve`'s flags override them (`ServerConfig`).
struct EngineConfig: Sendable, Equatable {
    /// Scheduling policy. Its `numBlocks` is not used: the pool is whatever fits `kvCacheMemoryBytes`. Its
    /// `maxWaitingRequests` is counted once, by the engine as it accepts requests (see `schedulerConfig(for:)`).
    var scheduler = SchedulerConfig()
    /// Bytes of K/V storage; the pool has `kvCacheMemoryBytes / (bytesPerToken * blockSize)` blocks.
    var kvCacheMemoryBytes = 512 << 20
    /// How K/V are stored (the target's and a draft model's): f16 fits twice the tokens in `kvCacheMemoryBytes`.
    var kvCacheDType = KVCacheDType.f32
    /// Map the whole KV pool at startup (resident from then on) instead of page by page as blocks are first used:
    /// a first use costs a page fault per 4 KiB in the middle of a step (see `KVStorage`).
    var kvCachePrefault = true
    /// Events (about one per token, a few hundred bytes each) a stream may hold unread; a client further behind has
    /// its request cancelled, so an open connection that stopped reading costs bounded memory and never slows the batch.
    var maxBufferedEvents = 1024
    /// On graceful shutdown, how long requests in flight may go on before they end with a `shutting_down` error.
    var shutdownGraceSeconds = 30.0
    var speculation = SpeculationConfig()

    /// `mib` MiB in bytes, kept in range so the shift cannot overflow (`ServerConfig.validate` reports values below 1).
    static func bytes(mib: Int) -> Int { min(max(mib, 0), 1 << 40) << 20 }

    /// Blocks that fit the memory budget for `model` (at least one).
    func numBlocks(for model: LlamaConfig) -> Int {
        let bytesPerBlock = PagedKVCache.bytesPerToken(model, dtype: kvCacheDType) * max(1, scheduler.blockSize)
        return max(1, kvCacheMemoryBytes / bytesPerBlock)
    }

    /// The scheduler's config for `model`: the pool that fits the memory budget, and no queue bound of its own —
    /// `generate` already refuses a request beyond `scheduler.maxWaitingRequests`, and a preempted sequence going
    /// back to the queue must never be refused.
    func schedulerConfig(for model: LlamaConfig) -> SchedulerConfig {
        var config = scheduler
        config.numBlocks = numBlocks(for: model)
        config.maxWaitingRequests = .max
        return config
    }
}
