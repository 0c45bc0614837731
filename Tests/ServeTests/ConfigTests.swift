import ArgumentParser
import Foundation
import Model
import Scheduler
import Testing

@testable import Serve

@Suite struct ConfigTests {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func decodesRepositoryConfig() throws {
        let config = try ServerConfig.load(from: Self.repoRoot.appendingPathComponent("config.json"))
        #expect(config.defaultModel == "smol-135m")
        let entry = try #require(config.models["smol-135m"])
        #expect(entry.path == "weights/smol-135m")
        #expect(entry.fetchScript == "scripts/fetch_weights.sh")
        // The shipped file names only the model: everything else is the defaults, written once in the code.
        var defaults = ServerConfig()
        defaults.defaultModel = config.defaultModel
        defaults.models = config.models
        #expect(config == defaults)
    }

    private static func decode(_ json: String) throws -> ServerConfig {
        try JSONDecoder().decode(ServerConfig.self, from: Data(json.utf8))
    }

    /// Defaults, overridden by the file's keys, overridden by the flags; the untouched keys keep their defaults.
    @Test func defaultsThenConfigFileThenFlags() throws {
        var config = try Self.decode(
            #"{"port": 9000, "dtype": "q8_0", "scheduler": {"max_num_seqs": 8, "max_num_batched_tokens": 64, "block_size": 32,"#
                + #" "kv_cache_memory_mib": 64, "kv_cache_dtype": "f16", "kv_cache_prefault": false, "enable_prefix_caching": false,"#
                + #" "shutdown_grace_seconds": 5}, "speculation": {"mode": "off", "ngram_max": 6, "draft_model": "d"}}"#)
        #expect(config.port == 9000 && config.host == ServerConfig().host)
        #expect(config.dtype == .q8_0)
        #expect(config.engine.scheduler.maxNumSeqs == 8 && config.engine.scheduler.maxNumBatchedTokens == 64)
        #expect(config.engine.scheduler.blockSize == 32 && config.engine.kvCacheMemoryBytes == 64 << 20)
        #expect(config.engine.kvCacheDType == .f16 && !config.engine.scheduler.enablePrefixCaching)
        #expect(!config.engine.kvCachePrefault && EngineConfig().kvCachePrefault)
        #expect(config.engine.scheduler.longPrefillTokenThreshold == SchedulerConfig().longPrefillTokenThreshold)
        #expect(config.engine.shutdownGraceSeconds == 5)
        #expect(config.engine.speculation.mode == .off && config.engine.speculation.ngramMax == 6)
        #expect(config.engine.speculation.ngramMin == SpeculationConfig().ngramMin)
        #expect(config.draftModel == "d")

        let flags = try ServeCommand.parse([
            "--port", "9100", "--max-num-seqs", "4", "--kv-cache-memory", "16", "--kv-cache-dtype", "f32",
            "--enable-prefix-caching", "--kv-cache-prefault", "--spec", "ngram", "--spec-tokens", "3", "--dtype", "q4_0", "--shutdown-grace", "0",
        ])
        flags.apply(to: &config)
        #expect(config.port == 9100 && config.dtype == .q4_0)
        #expect(config.engine.scheduler.maxNumSeqs == 4 && config.engine.scheduler.maxNumBatchedTokens == 64)
        #expect(config.engine.kvCacheMemoryBytes == 16 << 20 && config.engine.kvCacheDType == .f32)
        #expect(config.engine.scheduler.enablePrefixCaching && config.engine.shutdownGraceSeconds == 0)
        #expect(config.engine.kvCachePrefault)
        #expect(try ServeCommand.parse(["--no-kv-cache-prefault"]).kvCachePrefault == false)
        #expect(config.engine.speculation.mode == .ngram && config.engine.speculation.maxDraftTokens == 3)
        #expect(config.engine.speculation.ngramMax == 6)

        // No flags change nothing.
        let before = config
        try ServeCommand.parse([]).apply(to: &config)
        #expect(config == before)
    }

    @Test func missingFieldsTakeDefaults() throws {
        #expect(try Self.decode("{}") == ServerConfig())
        #expect(try Self.decode(#"{"scheduler": {}, "speculation": {}}"#) == ServerConfig())
    }

    /// What `serve` logs as its configuration reads back as the same configuration.
    @Test func encodingRoundTrips() throws {
        var config = try Self.decode(#"{"scheduler": {"max_num_seqs": 3, "bucket_edges": [8, 64]}, "speculation": {"mode": "draft", "draft_model": "x"}}"#)
        config.models["m"] = .init(path: "p", fetchScript: nil)
        let data = try JSONEncoder().encode(config)
        #expect(try JSONDecoder().decode(ServerConfig.self, from: data) == config)
        #expect(try JSONDecoder().decode(ServerConfig.self, from: JSONEncoder().encode(ServerConfig())) == ServerConfig())
    }

    /// A bad choice is a decoding error listing the accepted values; a bad flag value is an argument error.
    @Test func badChoicesNameTheAcceptedValues() throws {
        for (json, accepted) in [
            (#"{"dtype": "int4"}"#, "bf16, q8_0, q4_0"), (#"{"scheduler": {"kv_cache_dtype": "fp8"}}"#, "f32, f16"),
            (#"{"speculation": {"mode": "eagle"}}"#, "off, ngram, draft"),
        ] {
            do {
                _ = try Self.decode(json)
                Issue.record("\(json) was accepted")
            } catch let error as DecodingError {
                #expect(JSONBody.apiError(for: error).message.contains(accepted), "\(error)")
            }
        }
        #expect(try ServeCommand.parse(["--kv-cache-dtype", "f16"]).kvCacheDType == .f16)
        do {
            _ = try ServeCommand.parse(["--kv-cache-dtype", "bf16"])
            Issue.record("--kv-cache-dtype bf16 was accepted")
        } catch {
            let message = ServeCommand.message(for: error)
            #expect(message.contains("bf16") && message.contains("f32") && message.contains("f16"), "\(message)")
        }
    }

    /// Out-of-range values are refused once, after merging, with the config key and the flag.
    @Test func validationNamesKeyAndFlag() throws {
        #expect(throws: Never.self) { try ServerConfig().validate() }
        let cases: [(String, [String], String)] = [
            (#"{"scheduler": {"max_num_seqs": 0}}"#, [], "scheduler.max_num_seqs (--max-num-seqs) must be at least 1 (got 0)"),
            ("{}", ["--max-num-batched-tokens", "0"], "scheduler.max_num_batched_tokens (--max-num-batched-tokens) must be at least 1 (got 0)"),
            ("{}", ["--kv-cache-memory", "0"], "scheduler.kv_cache_memory_mib (--kv-cache-memory) must be at least 1 MiB (got 0)"),
            ("{}", ["--spec-tokens", "17"], "speculation.num_speculative_tokens (--spec-tokens) must be in 1...16 (got 17)"),
            (#"{"speculation": {"ngram_min": 3}}"#, ["--ngram-max", "2"], "speculation.ngram_max (--ngram-max) must be at least speculation.ngram_min (3) (got 2)"),
            ("{}", ["--shutdown-grace=-1"], "scheduler.shutdown_grace_seconds (--shutdown-grace) must be a number of seconds, at least 0 (got -1.0)"),
            (#"{"scheduler": {"block_size": -4}}"#, [], "scheduler.block_size must be at least 1 (got -4)"),
            (#"{"scheduler": {"bucket_edges": [64, 16]}}"#, [], "scheduler.bucket_edges must be positive and ascending (got [64, 16])"),
            (#"{"port": 70000}"#, [], "port (--port) must be in 0...65535 (got 70000)"),
        ]
        for (json, flags, message) in cases {
            var config = try Self.decode(json)
            try ServeCommand.parse(flags).apply(to: &config)
            do {
                try config.validate()
                Issue.record("\(json) \(flags) was accepted")
            } catch {
                #expect(error.description == message)
            }
        }
        var draft = ServerConfig()
        draft.engine.speculation.mode = .draft
        #expect(throws: ServeError.draftModeWithoutDraftModel) { try draft.validate() }
        draft.draftModel = "draft-a"
        #expect(throws: Never.self) { try draft.validate() }
    }

    /// The README's configuration tables state the defaults the code has: a row's value, read back as that key's
    /// value in config.json, gives the default configuration.
    @Test func readmeStatesTheDefaults() throws {
        let readme = try String(contentsOf: Self.repoRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let encodedDefaults = String(decoding: try JSONEncoder().encode(ServerConfig()), as: UTF8.self)
        var checked = 0
        for line in readme.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let keys = cells[0].split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " `")) }
            let values = keys.count == 1 ? [cells[1]] : cells[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            for (key, stated) in zip(keys, values) where encodedDefaults.contains("\"\(key)\"") {
                // `f32` is a string; 16, 2.0 and true are JSON as written; "16, 32, …, 8192" are powers of two.
                var json = stated.hasPrefix("`") ? "\"\(stated.trimmingCharacters(in: CharacterSet(charactersIn: "`")))\"" : stated
                if stated.contains("…"), let first = Int(stated.prefix { $0 != "," }), let last = Int(stated.split(separator: " ").last!) {
                    json = "\(Array(sequence(first: first) { $0 < last ? $0 * 2 : nil }))"
                }
                let section = ["mode", "num_speculative_tokens", "ngram_min", "ngram_max", "adaptive"].contains(key) ? "speculation" : "scheduler"
                let config = try Self.decode(#"{"\#(section)": {"\#(key)": \#(json)}}"#)
                #expect(config == ServerConfig(), "README says \(key) defaults to \(stated); the code does not")
                checked += 1
            }
        }
        #expect(checked >= 15)
    }

    /// The same --kv-cache-memory buys twice the blocks with f16.
    @Test func f16KVCacheHoldsTwiceTheBlocks() throws {
        let smol = LlamaConfig(vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536, numLayers: 30, numHeads: 9, numKVHeads: 3)
        var f32 = EngineConfig()
        f32.kvCacheMemoryBytes = 720 << 20
        var f16 = f32
        f16.kvCacheDType = .f16
        #expect(f32.numBlocks(for: smol) == (720 << 20) / (46_080 * 16))  // 1024 blocks: 16k tokens
        #expect(f16.numBlocks(for: smol) == 2 * f32.numBlocks(for: smol))
        #expect(f16.schedulerConfig(for: smol).numBlocks == 2048)
    }

    /// The engine counts the waiting bound; the scheduler it builds has none of its own (preemptions go back freely).
    @Test func waitingBoundIsCountedOnce() {
        let model = LlamaConfig(vocabSize: 10, hiddenSize: 8, intermediateSize: 16, numLayers: 1, numHeads: 2, numKVHeads: 1)
        var config = EngineConfig()
        config.scheduler.maxWaitingRequests = 7
        #expect(config.schedulerConfig(for: model).maxWaitingRequests == .max)
        #expect(config.schedulerConfig(for: model).maxNumSeqs == config.scheduler.maxNumSeqs)
    }

    @Test func unknownModelNameIsAClearError() async throws {
        let resolver = ModelResolver(config: ServerConfig(), configDirectory: Self.repoRoot)
        await #expect(throws: ServeError.unknownModel("no-such-model", known: [])) {
            try await resolver.resolve("no-such-model")
        }
    }

    @Test func missingConfiguredWeightsRunTheFetchScript() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("serve-resolver-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        var config = ServerConfig()
        config.models["tiny"] = .init(path: "weights/tiny", fetchScript: "fetch.sh")
        let resolver = ModelResolver(config: config, configDirectory: root) { script, destination in
            #expect(script.lastPathComponent == "fetch.sh")
            try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
            for file in ["config.json", "tokenizer.json"] {
                try Data("{}".utf8).write(to: destination.appendingPathComponent(file))
            }
        }
        let resolved = try await resolver.resolve("tiny")
        #expect(resolved.name == "tiny")
        #expect(resolved.directory.path == root.appendingPathComponent("weights/tiny").path)
    }

    @Test func missingWeightsWithoutFetchScriptIsAnError() async throws {
        var config = ServerConfig()
        config.models["tiny"] = .init(path: "/nonexistent/tiny", fetchScript: nil)
        let resolver = ModelResolver(config: config, configDirectory: Self.repoRoot)
        await #expect(throws: ServeError.missingWeights(name: "tiny", path: "/nonexistent/tiny")) {
            try await resolver.resolve("tiny")
        }
    }

    @Test func fetchScriptRunsAsAProcess() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("serve-script-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let script = root.appendingPathComponent("fetch.sh")
        try Data("#!/bin/sh\nmkdir -p \"$1\" && touch \"$1/config.json\" \"$1/tokenizer.json\"\n".utf8).write(to: script)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        let destination = root.appendingPathComponent("model")
        try await ModelResolver.runScript(script, destination: destination)
        #expect(ModelResolver.isModelDirectory(destination))

        let failing = root.appendingPathComponent("fail.sh")
        try Data("#!/bin/sh\nexit 3\n".utf8).write(to: failing)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: failing.path)
        await #expect(throws: ServeError.fetchFailed(script: failing.path, status: 3)) {
            try await ModelResolver.runScript(failing, destination: destination)
        }
    }

    @Test func directoryPathIsServedUnderTheGivenName() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("serve-dir-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let resolver = ModelResolver(config: ServerConfig(), configDirectory: root)
        await #expect(throws: ServeError.notAModelDirectory(root.path)) { try await resolver.resolve(root.path) }
        for file in ["config.json", "tokenizer.json"] {
            try Data("{}".utf8).write(to: root.appendingPathComponent(file))
        }
        let resolved = try await resolver.resolve(root.path)
        #expect(resolved.name == root.path)
    }
}
