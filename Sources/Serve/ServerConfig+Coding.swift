import Foundation
import Model
import Scheduler

// config.json's keys. Decoding starts from the defaults and overrides only the keys present, so a default is never
// restated here; encoding writes every value (the effective configuration, as `serve` logs it).

extension ServerConfig {
    enum CodingKeys: String, CodingKey {
        case host, port, models, dtype, scheduler, speculation
        case defaultModel = "default_model"
    }

    init(from decoder: any Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try container.override(&host, .host)
        try container.override(&port, .port)
        defaultModel = try container.decodeIfPresent(String.self, forKey: .defaultModel)
        try container.override(&models, .models)
        try container.overrideChoice(&dtype, .dtype)
        try container.override(&engine, .scheduler)
        if container.contains(.speculation) {
            let speculation = try container.nestedContainer(keyedBy: SpeculationKeys.self, forKey: .speculation)
            draftModel = try speculation.decodeIfPresent(String.self, forKey: .draftModel)
            engine.speculation = try SpeculationConfig(from: speculation, defaults: engine.speculation)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(host, forKey: .host)
        try container.encode(port, forKey: .port)
        try container.encodeIfPresent(defaultModel, forKey: .defaultModel)
        try container.encode(models, forKey: .models)
        try container.encode(dtype, forKey: .dtype)
        try container.encode(engine, forKey: .scheduler)
        var speculation = container.nestedContainer(keyedBy: SpeculationKeys.self, forKey: .speculation)
        try engine.speculation.encode(to: &speculation)
        try speculation.encodeIfPresent(draftModel, forKey: .draftModel)
    }
}

/// The `scheduler` section: the scheduling policy's keys (vLLM's names), the KV cache and the streams'.
extension EngineConfig: Codable {
    enum CodingKeys: String, CodingKey {
        case maxNumSeqs = "max_num_seqs"
        case maxNumBatchedTokens = "max_num_batched_tokens"
        case longPrefillTokenThreshold = "long_prefill_token_threshold"
        case longPrefillChunkTokens = "long_prefill_chunk_tokens"
        case blockSize = "block_size"
        case bucketEdges = "bucket_edges"
        case maxWaitSeconds = "max_wait_seconds"
        case maxWaitingRequests = "max_waiting_requests"
        case enablePrefixCaching = "enable_prefix_caching"
        case kvCacheMemoryMib = "kv_cache_memory_mib"
        case kvCacheDType = "kv_cache_dtype"
        case kvCachePrefault = "kv_cache_prefault"
        case maxBufferedEvents = "max_buffered_events"
        case shutdownGraceSeconds = "shutdown_grace_seconds"
    }

    init(from decoder: any Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try container.override(&scheduler.maxNumSeqs, .maxNumSeqs)
        try container.override(&scheduler.maxNumBatchedTokens, .maxNumBatchedTokens)
        try container.override(&scheduler.longPrefillTokenThreshold, .longPrefillTokenThreshold)
        try container.override(&scheduler.longPrefillChunkTokens, .longPrefillChunkTokens)
        try container.override(&scheduler.blockSize, .blockSize)
        try container.override(&scheduler.bucketEdges, .bucketEdges)
        try container.override(&scheduler.maxWaitSeconds, .maxWaitSeconds)
        try container.override(&scheduler.maxWaitingRequests, .maxWaitingRequests)
        try container.override(&scheduler.enablePrefixCaching, .enablePrefixCaching)
        if let mib = try container.decodeIfPresent(Int.self, forKey: .kvCacheMemoryMib) {
            kvCacheMemoryBytes = Self.bytes(mib: mib)
        }
        try container.overrideChoice(&kvCacheDType, .kvCacheDType)
        try container.override(&kvCachePrefault, .kvCachePrefault)
        try container.override(&maxBufferedEvents, .maxBufferedEvents)
        try container.override(&shutdownGraceSeconds, .shutdownGraceSeconds)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(scheduler.maxNumSeqs, forKey: .maxNumSeqs)
        try container.encode(scheduler.maxNumBatchedTokens, forKey: .maxNumBatchedTokens)
        try container.encode(scheduler.longPrefillTokenThreshold, forKey: .longPrefillTokenThreshold)
        try container.encode(scheduler.longPrefillChunkTokens, forKey: .longPrefillChunkTokens)
        try container.encode(scheduler.blockSize, forKey: .blockSize)
        try container.encode(scheduler.bucketEdges, forKey: .bucketEdges)
        try container.encode(scheduler.maxWaitSeconds, forKey: .maxWaitSeconds)
        try container.encode(scheduler.maxWaitingRequests, forKey: .maxWaitingRequests)
        try container.encode(scheduler.enablePrefixCaching, forKey: .enablePrefixCaching)
        try container.encode(kvCacheMemoryBytes >> 20, forKey: .kvCacheMemoryMib)
        try container.encode(kvCacheDType, forKey: .kvCacheDType)
        try container.encode(kvCachePrefault, forKey: .kvCachePrefault)
        try container.encode(maxBufferedEvents, forKey: .maxBufferedEvents)
        try container.encode(shutdownGraceSeconds, forKey: .shutdownGraceSeconds)
    }
}

/// The `speculation` section.
enum SpeculationKeys: String, CodingKey {
    case mode, adaptive
    case numSpeculativeTokens = "num_speculative_tokens"
    case ngramMin = "ngram_min"
    case ngramMax = "ngram_max"
    case draftModel = "draft_model"
}

extension SpeculationConfig {
    init(from container: KeyedDecodingContainer<SpeculationKeys>, defaults: SpeculationConfig) throws {
        self = defaults
        try container.overrideChoice(&mode, .mode)
        try container.override(&maxDraftTokens, .numSpeculativeTokens)
        try container.override(&ngramMin, .ngramMin)
        try container.override(&ngramMax, .ngramMax)
        try container.override(&isAdaptive, .adaptive)
    }

    func encode(to container: inout KeyedEncodingContainer<SpeculationKeys>) throws {
        try container.encode(mode, forKey: .mode)
        try container.encode(maxDraftTokens, forKey: .numSpeculativeTokens)
        try container.encode(ngramMin, forKey: .ngramMin)
        try container.encode(ngramMax, forKey: .ngramMax)
        try container.encode(isAdaptive, forKey: .adaptive)
    }
}

extension KeyedDecodingContainer {
    /// Replaces `value` with the one at `key`, if the key is present.
    func override<T: Decodable>(_ value: inout T, _ key: Key) throws {
        if let decoded = try decodeIfPresent(T.self, forKey: key) { value = decoded }
    }

    /// `override` for a string enum, whose error lists the accepted values.
    func overrideChoice<T: RawRepresentable & CaseIterable>(_ value: inout T, _ key: Key) throws where T.RawValue == String {
        guard let raw = try decodeIfPresent(String.self, forKey: key) else { return }
        guard let choice = T(rawValue: raw) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self,
                debugDescription: "'\(raw)' is not one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        value = choice
    }
}
