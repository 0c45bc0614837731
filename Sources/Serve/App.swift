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

    @Option(help: "Model name from the config's models, or a path to a model directory (default: the config's default_model).")
    var model: String?

    @Option(help: "Address to listen on (default: the config's host).")
    var host: String?

    @Option(help: "Port to listen on (default: the config's port).")
    var port: Int?

    @Option(help: "Server config file (default: ./config.json; optional unless given).")
    var config: String?

    @Option(name: .customLong("kv-cache-memory"), help: "MiB of KV cache (default: the config's scheduler.kv_cache_memory_mib, else 512).")
    var kvCacheMemoryMib: Int?

    @Option(name: .customLong("kv-cache-dtype"), help: "How the KV cache stores keys and values: f32 (exact) or f16 (half the memory, so twice the tokens per --kv-cache-memory, and less to read per decode step; logits move by a few hundredths) (default: the config's scheduler.kv_cache_dtype, else f32).")
    var kvCacheDType: KVCacheDType?

    @Flag(inversion: .prefixedNo, help: "Automatic prefix caching: a prompt that starts like an earlier one (a shared system prompt, a conversation's history) reuses its KV instead of computing it again (default: the config's scheduler.enable_prefix_caching, else on).")
    var enablePrefixCaching: Bool?

    @Option(help: "Most sequences running at once (default: the config's scheduler.max_num_seqs, else 32).")
    var maxNumSeqs: Int?

    @Option(help: "Tokens per engine step, decodes plus prefill chunks: smaller keeps streams smooth while long prompts load, larger loads them sooner (default: the config's scheduler.max_num_batched_tokens).")
    var maxNumBatchedTokens: Int?

    @Option(name: .customLong("spec"), help: "Speculative decoding: off, ngram (prompt lookup) or draft (needs --draft-model) (default: the config's speculation.mode, else ngram). A request's `prediction` is used in every mode.")
    var specMode: SpeculationConfig.Mode?

    @Option(help: "Draft model for --spec draft: a name from the config's models or a model directory with the target's tokenizer (default: the config's speculation.draft_model).")
    var draftModel: String?

    @Option(name: .customLong("spec-tokens"), help: "Most draft tokens per sequence per step, 1...16; each step picks 0...this per sequence from measured step times and acceptance (default: 8).")
    var specTokens: Int?

    @Option(help: "Shortest suffix the n-gram proposer matches (default: 2).")
    var ngramMin: Int?

    @Option(help: "Longest suffix the n-gram proposer matches (default: 4).")
    var ngramMax: Int?

    @Option(help: "Weight matrices: bf16 (the checkpoint, exact), q8_0 (about half the bytes, near-exact) or q4_0 (about a third, faster decode, some quality loss); quantized once and cached beside the model (default: the config's dtype, else bf16).")
    var dtype: WeightFormat?

    @Option(name: .customLong("shutdown-grace"), help: "Seconds requests in flight may go on after SIGTERM/SIGINT before they end with a shutting_down error (default: 30).")
    var shutdownGraceSeconds: Double?

    func validate() throws {
        if let specTokens, !(1...16).contains(specTokens) {
            throw ValidationError("--spec-tokens must be in 1...16 (got \(specTokens)).")
        }
        if let ngramMin, ngramMin < 1 { throw ValidationError("--ngram-min must be at least 1 (got \(ngramMin)).") }
        if let ngramMin, let ngramMax, ngramMax < ngramMin {
            throw ValidationError("--ngram-max (\(ngramMax)) must be at least --ngram-min (\(ngramMin)).")
        }
        if let kvCacheMemoryMib, kvCacheMemoryMib < 1 {
            throw ValidationError("--kv-cache-memory must be at least 1 MiB (got \(kvCacheMemoryMib)).")
        }
        if let shutdownGraceSeconds, !(shutdownGraceSeconds >= 0) {
            throw ValidationError("--shutdown-grace must be at least 0 seconds (got \(shutdownGraceSeconds)).")
        }
        if let maxNumSeqs, maxNumSeqs < 1 {
            throw ValidationError("--max-num-seqs must be at least 1 (got \(maxNumSeqs)).")
        }
        if let maxNumBatchedTokens, maxNumBatchedTokens < 1 {
            throw ValidationError("--max-num-batched-tokens must be at least 1 (got \(maxNumBatchedTokens)).")
        }
    }

    func run() async throws {
        let configURL = URL(fileURLWithPath: config ?? "config.json")
        let serverConfig =
            config == nil && !FileManager.default.fileExists(atPath: configURL.path)
            ? ServerConfig() : try ServerConfig.load(from: configURL)

        // Checked before anything is fetched or loaded, so a bad dtype fails at once.
        let format = try serverConfig.weightFormat(flag: dtype)
        let kvDType = try serverConfig.kvCacheDType(flag: kvCacheDType)
        guard let nameOrPath = model ?? serverConfig.defaultModel else { throw ServeError.noModelGiven }
        let resolver = ModelResolver(config: serverConfig, configDirectory: configURL.deletingLastPathComponent())
        let resolved = try await resolver.resolve(nameOrPath)

        var logger = Logger(label: "serve")
        logger.logLevel = .info
        logger.info("loading model '\(resolved.name)' from \(resolved.directory.path)")
        let draftName = draftModel ?? serverConfig.speculation?.draftModel
        let mode = specMode ?? serverConfig.speculation?.mode
        if mode == .draft && draftName == nil { throw ServeError.draftModeWithoutDraftModel }
        var draftDirectory: URL?
        if mode == .draft, let draftName {
            draftDirectory = try await resolver.resolve(draftName).directory
            logger.info("draft model from \(draftDirectory!.path)")
        }
        var engineConfig = EngineConfig(
            settings: serverConfig.scheduler, maxNumSeqs: maxNumSeqs, maxNumBatchedTokens: maxNumBatchedTokens,
            kvCacheMemoryMib: kvCacheMemoryMib, kvCacheDType: kvDType, enablePrefixCaching: enablePrefixCaching, speculation: serverConfig.speculation, specMode: specMode,
            specTokens: specTokens, ngramMin: ngramMin, ngramMax: ngramMax)
        if let shutdownGraceSeconds { engineConfig.shutdownGraceSeconds = shutdownGraceSeconds }
        // One registry for the whole process, passed down explicitly (no global MetricsSystem).
        let registry = PrometheusCollectorRegistry()
        logger.info("weights as \(format.rawValue), KV cache as \(kvDType.rawValue), kernels \(KernelPath.selected.rawValue)")
        let (served, engine) = try ServedModel.load(
            name: resolved.name, directory: resolved.directory, format: format, engineConfig: engineConfig,
            draftDirectory: draftDirectory,
            metricsFactory: PrometheusMetricsFactory(registry: registry), logger: logger)

        let app = buildApplication(
            model: served, engine: engine, metrics: registry, host: host ?? serverConfig.host, port: port ?? serverConfig.port,
            logger: logger)
        // Returns after SIGINT/SIGTERM once the requests in flight have finished (or, after the grace period, failed
        // with a shutting_down error) and the engine thread has exited.
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        logger.info("stopped")
    }
}
