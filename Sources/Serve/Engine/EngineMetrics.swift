import Metrics
import Scheduler

/// The engine's metrics, created through an injected swift-metrics factory (the server passes a
/// `PrometheusMetricsFactory`; tests and tools may pass `NOOPMetricsHandler.instance`). Names follow vLLM's
/// (`vllm:` → `serve_`):
///
/// Gauges, updated after every step:
/// - `serve_num_requests_running`: sequences in the batch (prefilling or decoding).
/// - `serve_num_requests_waiting`: sequences waiting, including preempted ones.
/// - `serve_kv_cache_usage_perc`: fraction of KV blocks in use, 0...1.
/// - `serve_waiting_requests_per_bucket{bucket="16"|...|"+Inf"}`: waiting requests per prompt-length bucket
///   (label = the bucket's inclusive upper edge in tokens).
/// - `serve_step_padding_ratio`: waste of the last step if its chunks were padded to the longest.
///
/// Counters:
/// - `serve_prompt_tokens_total`, `serve_generation_tokens_total` (sampled tokens, eos included).
/// - `serve_num_preemptions_total`.
/// - `serve_prefix_cache_queries_total`, `serve_prefix_cache_hits_total`: prompt tokens admissions looked up in
///   the prefix cache, and found there (their ratio is the hit rate).
/// - `serve_request_success_total{finished_reason="stop"|"length"}`; cancelled requests are not counted.
/// - `serve_request_failure_total`: sequences that ended with an error (a failed step, a shutdown cut short).
/// - Speculative decoding: `serve_spec_decode_num_drafts_total` (sequence-steps that verified drafts),
///   `serve_spec_decode_num_draft_tokens_total`, `serve_spec_decode_num_accepted_tokens_total`, and
///   `serve_spec_decode_num_accepted_tokens_per_pos_total{position="0"|...}` (draft i accepted).
///
/// Histograms (swift-metrics `Timer`s; seconds in Prometheus):
/// - `serve_time_to_first_token_seconds`: from `generate` to the first sampled token.
/// - `serve_inter_token_latency_seconds`: between consecutive tokens of a sequence.
/// - `serve_e2e_request_latency_seconds`: from `generate` to the finish.
/// - `serve_request_queue_time_seconds`: from `generate` to the first step that runs the sequence.
final class EngineMetrics: Sendable {
    let numRequestsRunning: Gauge
    let numRequestsWaiting: Gauge
    let kvCacheUsage: Gauge
    let stepPaddingRatio: Gauge
    let waitingPerBucket: [Gauge]
    let promptTokens: Counter
    let generationTokens: Counter
    let numPreemptions: Counter
    let prefixCacheQueries: Counter
    let prefixCacheHits: Counter
    let successStop: Counter
    let successLength: Counter
    let failures: Counter
    let specDrafts: Counter
    let specDraftTokens: Counter
    let specAcceptedTokens: Counter
    let specAcceptedPerPosition: [Counter]
    let timeToFirstToken: Timer
    let interTokenLatency: Timer
    let e2eLatency: Timer
    let queueTime: Timer

    init(factory: any MetricsFactory, bucketEdges: [Int], maxDraftTokens: Int = 0) {
        numRequestsRunning = Gauge(label: "serve_num_requests_running", factory: factory)
        numRequestsWaiting = Gauge(label: "serve_num_requests_waiting", factory: factory)
        kvCacheUsage = Gauge(label: "serve_kv_cache_usage_perc", factory: factory)
        stepPaddingRatio = Gauge(label: "serve_step_padding_ratio", factory: factory)
        waitingPerBucket = (bucketEdges.map(String.init) + ["+Inf"]).map {
            Gauge(label: "serve_waiting_requests_per_bucket", dimensions: [("bucket", $0)], factory: factory)
        }
        promptTokens = Counter(label: "serve_prompt_tokens_total", factory: factory)
        generationTokens = Counter(label: "serve_generation_tokens_total", factory: factory)
        numPreemptions = Counter(label: "serve_num_preemptions_total", factory: factory)
        prefixCacheQueries = Counter(label: "serve_prefix_cache_queries_total", factory: factory)
        prefixCacheHits = Counter(label: "serve_prefix_cache_hits_total", factory: factory)
        successStop = Counter(
            label: "serve_request_success_total", dimensions: [("finished_reason", "stop")], factory: factory)
        successLength = Counter(
            label: "serve_request_success_total", dimensions: [("finished_reason", "length")], factory: factory)
        failures = Counter(label: "serve_request_failure_total", factory: factory)
        specDrafts = Counter(label: "serve_spec_decode_num_drafts_total", factory: factory)
        specDraftTokens = Counter(label: "serve_spec_decode_num_draft_tokens_total", factory: factory)
        specAcceptedTokens = Counter(label: "serve_spec_decode_num_accepted_tokens_total", factory: factory)
        specAcceptedPerPosition = (0..<max(0, maxDraftTokens)).map {
            Counter(label: "serve_spec_decode_num_accepted_tokens_per_pos_total", dimensions: [("position", String($0))], factory: factory)
        }
        timeToFirstToken = Timer(label: "serve_time_to_first_token_seconds", factory: factory)
        interTokenLatency = Timer(label: "serve_inter_token_latency_seconds", factory: factory)
        e2eLatency = Timer(label: "serve_e2e_request_latency_seconds", factory: factory)
        queueTime = Timer(label: "serve_request_queue_time_seconds", factory: factory)
    }

    /// Gauges from a scheduler snapshot, counters from what changed since `previous` (the last one recorded).
    func record(_ stats: SchedulerStats, previous: SchedulerStats?) {
        numRequestsRunning.record(stats.numRunning)
        numRequestsWaiting.record(stats.numWaiting)
        kvCacheUsage.record(stats.kvCacheUsage)
        stepPaddingRatio.record(stats.lastStepPaddingRatio)
        for (gauge, count) in zip(waitingPerBucket, stats.waitingPerBucket) {
            gauge.record(count)
        }
        func increment(_ counter: Counter, _ total: KeyPath<SchedulerStats, Int>) {
            let delta = stats[keyPath: total] - (previous?[keyPath: total] ?? 0)
            if delta > 0 { counter.increment(by: delta) }
        }
        increment(numPreemptions, \.numPreemptionsTotal)
        increment(prefixCacheQueries, \.numPrefixCacheQueryTokens)
        increment(prefixCacheHits, \.numPrefixCacheHitTokens)
    }
}

extension EngineMetrics {
    /// One sequence verified `numDrafted` drafts and accepted the first `numAccepted`.
    func recordVerification(numDrafted: Int, numAccepted: Int) {
        guard numDrafted > 0 else { return }
        specDrafts.increment()
        specDraftTokens.increment(by: numDrafted)
        if numAccepted > 0 { specAcceptedTokens.increment(by: numAccepted) }
        for position in 0..<min(numAccepted, specAcceptedPerPosition.count) { specAcceptedPerPosition[position].increment() }
    }
}

extension Timer {
    /// Records `seconds` (engine clock differences).
    func record(seconds: Double) {
        recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }
}
