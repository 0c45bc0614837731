import Foundation

extension ServerConfig {
    /// Checks the merged configuration once (defaults, config.json, flags), so a bad value is reported with its
    /// config key and flag wherever it came from, before anything is fetched or loaded.
    func validate() throws(ServeError) {
        let scheduler = engine.scheduler
        let speculation = engine.speculation
        func require(_ holds: Bool, _ key: String, _ flag: String?, _ rule: String, _ value: Any) throws(ServeError) {
            if !holds { throw .invalidSetting(key: key, flag: flag, message: "\(rule) (got \(value))") }
        }
        try require((0...65535).contains(port), "port", "--port", "must be in 0...65535", port)
        try require(scheduler.maxNumSeqs >= 1, "scheduler.max_num_seqs", "--max-num-seqs", "must be at least 1", scheduler.maxNumSeqs)
        try require(
            scheduler.maxNumBatchedTokens >= 1, "scheduler.max_num_batched_tokens", "--max-num-batched-tokens",
            "must be at least 1", scheduler.maxNumBatchedTokens)
        try require(
            scheduler.longPrefillTokenThreshold >= 1, "scheduler.long_prefill_token_threshold", nil, "must be at least 1",
            scheduler.longPrefillTokenThreshold)
        try require(
            scheduler.longPrefillChunkTokens >= 1, "scheduler.long_prefill_chunk_tokens", nil, "must be at least 1",
            scheduler.longPrefillChunkTokens)
        try require(scheduler.blockSize >= 1, "scheduler.block_size", nil, "must be at least 1", scheduler.blockSize)
        try require(
            scheduler.bucketEdges.allSatisfy { $0 > 0 } && zip(scheduler.bucketEdges, scheduler.bucketEdges.dropFirst()).allSatisfy { $0 < $1 },
            "scheduler.bucket_edges", nil, "must be positive and ascending", scheduler.bucketEdges)
        try require(scheduler.maxWaitSeconds >= 0, "scheduler.max_wait_seconds", nil, "must be at least 0", scheduler.maxWaitSeconds)
        try require(
            scheduler.maxWaitingRequests >= 0, "scheduler.max_waiting_requests", nil, "must be at least 0", scheduler.maxWaitingRequests)
        try require(
            engine.kvCacheMemoryBytes >= 1 << 20, "scheduler.kv_cache_memory_mib", "--kv-cache-memory", "must be at least 1 MiB",
            engine.kvCacheMemoryBytes >> 20)
        try require(
            engine.maxBufferedEvents >= 1, "scheduler.max_buffered_events", nil, "must be at least 1", engine.maxBufferedEvents)
        try require(
            engine.shutdownGraceSeconds >= 0 && engine.shutdownGraceSeconds.isFinite, "scheduler.shutdown_grace_seconds",
            "--shutdown-grace", "must be a number of seconds, at least 0", engine.shutdownGraceSeconds)
        try require(
            (1...16).contains(speculation.maxDraftTokens), "speculation.num_speculative_tokens", "--spec-tokens",
            "must be in 1...16", speculation.maxDraftTokens)
        try require(speculation.ngramMin >= 1, "speculation.ngram_min", "--ngram-min", "must be at least 1", speculation.ngramMin)
        try require(
            speculation.ngramMax >= speculation.ngramMin, "speculation.ngram_max", "--ngram-max",
            "must be at least speculation.ngram_min (\(speculation.ngramMin))", speculation.ngramMax)
        if speculation.mode == .draft && draftModel == nil { throw .draftModeWithoutDraftModel }
    }
}
