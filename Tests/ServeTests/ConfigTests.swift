import ArgumentParser
import Foundation
import Model
import Testing

@testable import Serve

@Suite struct ConfigTests {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func decodesRepositoryConfig() throws {
        let config = try ServerConfig.load(from: Self.repoRoot.appendingPathComponent("config.json"))
        #expect(config.defaultModel == "smol-135m")
        #expect(config.port == 8080)
        let entry = try #require(config.models["smol-135m"])
        #expect(entry.path == "weights/smol-135m")
        #expect(entry.fetchScript == "scripts/fetch_weights.sh")
        #expect(config.scheduler?.blockSize == 16)
    }

    @Test func engineConfigLayersDefaultsConfigAndFlags() throws {
        let settings = ServerConfig.SchedulerSettings(
            maxNumSeqs: 8, maxNumBatchedTokens: 128, longPrefillTokenThreshold: 300, longPrefillChunkTokens: 8,
            blockSize: 32, kvCacheMemoryMib: 64)
        let fromConfig = EngineConfig(settings: settings)
        #expect(fromConfig.maxNumSeqs == 8)
        #expect(fromConfig.maxNumBatchedTokens == 128)
        let model = LlamaConfig(vocabSize: 10, hiddenSize: 8, intermediateSize: 16, numLayers: 1, numHeads: 2, numKVHeads: 1)
        #expect(fromConfig.schedulerConfig(for: model).longPrefillTokenThreshold == 300)
        #expect(fromConfig.schedulerConfig(for: model).longPrefillChunkTokens == 8)
        #expect(fromConfig.blockSize == 32)
        #expect(fromConfig.kvCacheMemoryBytes == 64 << 20)
        let fromFlags = EngineConfig(settings: settings, maxNumSeqs: 4, maxNumBatchedTokens: 24, kvCacheMemoryMib: 16)
        #expect(fromFlags.maxNumSeqs == 4)
        #expect(fromFlags.maxNumBatchedTokens == 24)
        #expect(fromFlags.kvCacheMemoryBytes == 16 << 20)
        #expect(EngineConfig(settings: nil) == EngineConfig())
    }

    @Test func prefixCachingIsOnUnlessTheConfigOrTheFlagTurnsItOff() throws {
        let model = LlamaConfig(vocabSize: 10, hiddenSize: 8, intermediateSize: 16, numLayers: 1, numHeads: 2, numKVHeads: 1)
        #expect(EngineConfig(settings: nil).schedulerConfig(for: model).enablePrefixCaching)
        let off = try JSONDecoder().decode(
            ServerConfig.self, from: Data(#"{"scheduler": {"enable_prefix_caching": false}}"#.utf8))
        #expect(!EngineConfig(settings: off.scheduler).schedulerConfig(for: model).enablePrefixCaching)
        #expect(EngineConfig(settings: off.scheduler, enablePrefixCaching: true).enablePrefixCaching)
        #expect(!EngineConfig(settings: nil, enablePrefixCaching: false).enablePrefixCaching)
        let parsed = try ServeCommand.parse(["--no-enable-prefix-caching"])
        #expect(parsed.enablePrefixCaching == false)
        #expect(try ServeCommand.parse([]).enablePrefixCaching == nil)
    }

    @Test func weightFormatFromFlagConfigOrDefault() throws {
        #expect(try ServerConfig().weightFormat(flag: nil) == .bf16)
        let config = try JSONDecoder().decode(ServerConfig.self, from: Data(#"{"dtype": "q4_0"}"#.utf8))
        #expect(try config.weightFormat(flag: nil) == .q4_0)
        #expect(try config.weightFormat(flag: .q8_0) == .q8_0)
        let bad = try JSONDecoder().decode(ServerConfig.self, from: Data(#"{"dtype": "int4"}"#.utf8))
        #expect(throws: ServeError.unknownDType("int4")) { try bad.weightFormat(flag: nil) }
        #expect(ServeError.unknownDType("int4").description.contains("bf16, q8_0, q4_0"))
        #expect(try ServerConfig.load(from: Self.repoRoot.appendingPathComponent("config.json")).weightFormat(flag: nil) == .bf16)
    }

    @Test func kvCacheDTypeFromFlagConfigOrDefault() throws {
        #expect(try ServerConfig().kvCacheDType(flag: nil) == .f32)
        let config = try JSONDecoder().decode(ServerConfig.self, from: Data(#"{"scheduler": {"kv_cache_dtype": "f16"}}"#.utf8))
        #expect(try config.kvCacheDType(flag: nil) == .f16)
        #expect(try config.kvCacheDType(flag: .f32) == .f32)
        let bad = try JSONDecoder().decode(ServerConfig.self, from: Data(#"{"scheduler": {"kv_cache_dtype": "fp8"}}"#.utf8))
        #expect(throws: ServeError.unknownKVCacheDType("fp8")) { try bad.kvCacheDType(flag: nil) }
        #expect(ServeError.unknownKVCacheDType("fp8").description.contains("f32, f16"))
        #expect(try ServerConfig.load(from: Self.repoRoot.appendingPathComponent("config.json")).kvCacheDType(flag: nil) == .f32)
        // The flag is parsed as the enum: a bad value is an argument error naming the choices.
        #expect(try ServeCommand.parse(["--kv-cache-dtype", "f16"]).kvCacheDType == .f16)
        do {
            _ = try ServeCommand.parse(["--kv-cache-dtype", "bf16"])
            Issue.record("--kv-cache-dtype bf16 was accepted")
        } catch {
            let message = ServeCommand.message(for: error)
            #expect(message.contains("bf16") && message.contains("f32") && message.contains("f16"), "\(message)")
        }
    }

    /// The same --kv-cache-memory buys twice the blocks with f16.
    @Test func f16KVCacheHoldsTwiceTheBlocks() throws {
        let smol = LlamaConfig(vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536, numLayers: 30, numHeads: 9, numKVHeads: 3)
        let f32 = EngineConfig(settings: nil, kvCacheMemoryMib: 720)
        let f16 = EngineConfig(settings: nil, kvCacheMemoryMib: 720, kvCacheDType: .f16)
        #expect(f16.kvCacheDType == .f16)
        #expect(f32.numBlocks(for: smol) == (720 << 20) / (46_080 * 16))  // 1024 blocks: 16k tokens
        #expect(f16.numBlocks(for: smol) == 2 * f32.numBlocks(for: smol))
        #expect(f16.schedulerConfig(for: smol).numBlocks == 2048)
    }

    @Test func missingFieldsTakeDefaults() throws {
        let config = try JSONDecoder().decode(ServerConfig.self, from: Data("{}".utf8))
        #expect(config == ServerConfig())
        #expect(config.host == "127.0.0.1")
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
