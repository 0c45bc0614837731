import ArgumentParser
import Foundation
import Logging
import Model
import Prometheus

extension SpeculationConfig.Mode: ExpressibleByArgument {}
extension WeightFormat: ExpressibleByArgument {}
extension KVCacheDType: ExpressibleByArgument {}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "OpenAI-compatible inference server for Llama-family models.")

    /// Defaults for the help texts, from the one place they are written.
    private static let defaults = ServerConfig()

    @Option(help: "Model name from the config's models, or a path to a model directory (default: the config's default_model).")
    var model: String?

    @Option(help: "Address to listen on (config: host; default \(defaults.host)).")
    var host: String?

    @Option(help: "Port to listen on (config: port; default \(defaults.port)).")
    var port: Int?

    @Option(help: "Server config file (default: ./config.json; optional unless given).")
    var config: String?

    @Option(name: .customLong("kv-cache-memory"), help: "MiB of KV cache (config: scheduler.kv_cache_memory_mib; default \(defaults.engine.kvCacheMemoryBytes >> 20)).")
    var kvCacheMemoryMib: Int?

    @Option(name: .customLong("kv-cache-dtype"), help: "How the KV cache stores keys and values: f32 (exact) or f16 (half the memory, so twice the tokens per --kv-cache-memory, and less to read per decode step; logits move by a few hundredths) (config: scheduler.kv_cache_dtype; default \(defaults.engine.kvCacheDType.rawValue)).")
    var kvCacheDType: KVCacheDType?

    @Flag(inversion: .prefixedNo, help: "Map the whole KV cache at startup, so no step pays a page fault for a block's first use; --no-kv-cache-prefault maps pages as blocks are first used (less resident memory until the pool fills) (config: scheduler.kv_cache_prefault; default \(defaults.engine.kvCachePrefault ? "on" : "off")).")
    var kvCachePrefault: Bool?

    @Flag(inversion: .prefixedNo, help: "Automatic prefix caching: a prompt that starts like an earlier one (a shared system prompt, a conversation's history) reuses its KV instead of computing it again (config: scheduler.enable_prefix_caching; default \(defaults.engine.scheduler.enablePrefixCaching ? "on" : "off")).")
    var enablePrefixCaching: Bool?

    @Option(help: "Most sequences running at once (config: scheduler.max_num_seqs; default \(defaults.engine.scheduler.maxNumSeqs)).")
    var maxNumSeqs: Int?

    @Option(help: "Tokens per engine step, decodes plus prefill chunks: smaller keeps streams smooth while long prompts load, larger loads them sooner (config: scheduler.max_num_batched_tokens; default \(defaults.engine.scheduler.maxNumBatchedTokens)).")
    var maxNumBatchedTokens: Int?

    @Option(name: .customLong("spec"), help: "Speculative decoding: off, ngram (prompt lookup) or draft (needs --draft-model) (config: speculation.mode; default \(defaults.engine.speculation.mode.rawValue)). A request's `prediction` is used in every mode.")
    var specMode: SpeculationConfig.Mode?

    @Option(help: "Draft model for --spec draft: a name from the config's models or a model directory with the target's tokenizer (config: speculation.draft_model).")
    var draftModel: String?

    @Option(name: .customLong("spec-tokens"), help: "Most draft tokens per sequence per step, 1...16; each step picks 0...this per sequence from measured step times and acceptance (config: speculation.num_speculative_tokens; default \(defaults.engine.speculation.maxDraftTokens)).")
    var specTokens: Int?

    @Option(help: "Shortest suffix the n-gram proposer matches (config: speculation.ngram_min; default \(defaults.engine.speculation.ngramMin)).")
    var ngramMin: Int?

    @Option(help: "Longest suffix the n-gram proposer matches (config: speculation.ngram_max; default \(defaults.engine.speculation.ngramMax)).")
    var ngramMax: Int?

    @Option(help: "Weight matrices: bf16 (the checkpoint, exact), q8_0 (about half the bytes, near-exact) or q4_0 (about a third, faster decode, some quality loss); quantized once and cached beside the model (config: dtype; default \(defaults.dtype.rawValue)).")
    var dtype: WeightFormat?

    @Option(name: .customLong("shutdown-grace"), help: "Seconds requests in flight may go on after SIGTERM/SIGINT before they end with a shutting_down error (config: scheduler.shutdown_grace_seconds; default \(Int(defaults.engine.shutdownGraceSeconds))).")
    var shutdownGraceSeconds: Double?

    /// The flags given, over `config`.
    func apply(to config: inout ServerConfig) {
        func override<T>(_ value: inout T, _ flag: T?) { if let flag { value = flag } }
        override(&config.host, host)
        override(&config.port, port)
        override(&config.dtype, dtype)
        override(&config.draftModel, draftModel)
        override(&config.engine.kvCacheMemoryBytes, kvCacheMemoryMib.map(EngineConfig.bytes(mib:)))
        override(&config.engine.kvCacheDType, kvCacheDType)
        override(&config.engine.kvCachePrefault, kvCachePrefault)
        override(&config.engine.scheduler.enablePrefixCaching, enablePrefixCaching)
        override(&config.engine.scheduler.maxNumSeqs, maxNumSeqs)
        override(&config.engine.scheduler.maxNumBatchedTokens, maxNumBatchedTokens)
        override(&config.engine.shutdownGraceSeconds, shutdownGraceSeconds)
        override(&config.engine.speculation.mode, specMode)
        override(&config.engine.speculation.maxDraftTokens, specTokens)
        override(&config.engine.speculation.ngramMin, ngramMin)
        override(&config.engine.speculation.ngramMax, ngramMax)
    }

    /// Defaults, then the config file (./config.json if present, or `--config`), then the flags; validated.
    func configuration() throws -> (ServerConfig, directory: URL) {
        let configURL = URL(fileURLWithPath: config ?? "config.json")
        var merged =
            config == nil && !FileManager.default.fileExists(atPath: configURL.path)
            ? ServerConfig() : try ServerConfig.load(from: configURL)
        apply(to: &merged)
        try merged.validate()
        return (merged, configURL.deletingLastPathComponent())
    }

    func run() async throws {
        // Checked before anything is fetched or loaded, so a bad value fails at once.
        let (config, configDirectory) = try configuration()
        guard let nameOrPath = model ?? config.defaultModel else { throw ServeError.noModelGiven }
        let resolver = ModelResolver(config: config, configDirectory: configDirectory)
        let resolved = try await resolver.resolve(nameOrPath)

        var logger = Logger(label: "serve")
        logger.logLevel = .info
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let configJSON = String(decoding: try encoder.encode(config), as: UTF8.self)
        logger.info("config: \(configJSON)")
        logger.info("loading model '\(resolved.name)' from \(resolved.directory.path)")
        var draftDirectory: URL?
        if config.engine.speculation.mode == .draft, let draftName = config.draftModel {
            draftDirectory = try await resolver.resolve(draftName).directory
            logger.info("draft model from \(draftDirectory!.path)")
        }
        // One registry for the whole process, passed down explicitly (no global MetricsSystem).
        let registry = PrometheusCollectorRegistry()
        logger.info("weights as \(config.dtype.rawValue), KV cache as \(config.engine.kvCacheDType.rawValue), kernels \(KernelPath.selected.rawValue)")
        let (served, engine) = try ServedModel.load(
            name: resolved.name, directory: resolved.directory, format: config.dtype, engineConfig: config.engine,
            draftDirectory: draftDirectory,
            metricsFactory: PrometheusMetricsFactory(registry: registry), logger: logger)

        let app = buildApplication(
            model: served, engine: engine, metrics: registry, host: config.host, port: config.port,
            logger: logger)
        // Returns after SIGINT/SIGTERM once the requests in flight have finished (or, after the grace period, failed
        // with a shutting_down error) and the engine thread has exited.
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        logger.info("stopped")
    }
}
