import Foundation
import Model
import Scheduler
import Testing
import Tokenizer

@testable import Serve

/// `LlamaBatchEngine` with the real SmolLM2-135M weights: batching never changes greedy output, streams
/// add up to the full text, stop strings, cancellation, preemption under a tiny KV pool, seeds, limits.
@Suite(.enabled(if: EngineFixture.isAvailable, "weights/smol-135m not fetched"))
struct EngineTests {
    static let prompts = [
        "The capital of France is",
        "def fibonacci(n):",
        "Once upon a time, in a small village,",
        "The three primary colors are",
        "Water boils at",
        "My favourite programming language is",
        "1, 2, 3, 4, 5,",
        "The quick brown fox",
    ]

    @Test func concurrentGreedyRequestsMatchGeneratingAlone() async throws {
        let fixture = try EngineFixture.shared
        let engine = fixture.makeEngine()
        defer { engine.shutdown() }
        let maxTokens = 16
        let outputs = try await fixture.runConcurrently(engine, Self.prompts.map { fixture.request($0, maxTokens: maxTokens) })
        for (prompt, output) in zip(Self.prompts, outputs) {
            let alone = try fixture.greedyAlone(prompt, maxTokens: maxTokens)
            #expect(output.tokens == alone.tokens, "prompt: \(prompt)")
            #expect(output.finishReason == (alone.hitStopToken ? .stop : .length))
            let expectedCompletion = alone.tokens.count + (alone.hitStopToken ? 1 : 0)
            #expect(output.usage == GenerationUsage(promptTokens: fixture.encode(prompt).count, completionTokens: expectedCompletion))
        }
    }

    @Test func streamedDeltasAddUpToTheDecodedText() async throws {
        let fixture = try EngineFixture.shared
        let engine = fixture.makeEngine()
        defer { engine.shutdown() }
        var request = fixture.request("Here is a list of fruits in French and English:\n", maxTokens: 40)
        request.stopTokenIds = []
        let output = try await fixture.collect(try engine.generate(request))
        #expect(output.tokens.count == 40)
        #expect(output.numDeltas >= 40)
        #expect(output.text == fixture.tokenizer.decode(output.tokens, skipSpecialTokens: true))
        #expect(output.finishReason == .length)
    }

    @Test func stopStringIsNeverEmitted() async throws {
        let fixture = try EngineFixture.shared
        let engine = fixture.makeEngine()
        defer { engine.shutdown() }
        let prompt = "Once upon a time, in a small village,"
        let full = try await fixture.collect(try engine.generate(fixture.request(prompt, maxTokens: 24)))
        // A stop string from the middle of the greedy text, spanning a token boundary if possible.
        let text = full.text
        let middle = text.index(text.startIndex, offsetBy: text.count / 2)
        let stop = String(text[middle...].prefix(4))
        let expected = String(text[..<text.range(of: stop)!.lowerBound])

        var request = fixture.request(prompt, maxTokens: 24)
        request.stopStrings = [stop, "never appears \u{1F600}"]
        let stopped = try await fixture.collect(try engine.generate(request))
        #expect(stopped.finishReason == .stop)
        #expect(stopped.text == expected, "stop string \(stop.debugDescription) in \(text.debugDescription)")
        #expect(!stopped.text.contains(stop))
        #expect(stopped.tokens.count < full.tokens.count)
    }

    @Test(.timeLimit(.minutes(1)))
    func droppingTheStreamFreesTheSequence() async throws {
        let fixture = try EngineFixture.shared
        let engine = fixture.makeEngine()
        defer { engine.shutdown() }
        var request = fixture.request("Count to one thousand: 1, 2, 3,", maxTokens: 1000)
        request.stopTokenIds = []
        let stream = try engine.generate(request)
        let consumer = Task {
            var count = 0
            var firstEvent: ContinuousClock.Instant?
            for await _ in stream {
                count += 1
                if firstEvent == nil { firstEvent = .now }
            }
            return (count, firstEvent)
        }
        // Wait until it is decoding, then drop it like a disconnected client.
        try await waitUntil { (engine.stats?.numRunning ?? 0) == 1 && (engine.stats?.numFreeBlocks ?? 0) < engine.schedulerConfig.numBlocks }
        try await Task.sleep(for: .milliseconds(100))
        consumer.cancel()
        let (numEvents, firstEvent) = await consumer.value
        let start = ContinuousClock.now
        try await waitUntil { engine.stats?.numRunning == 0 && engine.stats?.numWaiting == 0 }
        // Within a few steps, not after the ~1000 tokens it asked for: measured in this run's own step time, so a slow
        // machine (or a sanitizer's slowdown) does not fail it.
        let stepTime = (start - (firstEvent ?? start)) / max(1, numEvents)
        #expect(ContinuousClock.now - start < max(.seconds(1), stepTime * 10))
        #expect(engine.stats?.numFreeBlocks == engine.schedulerConfig.numBlocks)

        // A request after the cancellation runs normally.
        let output = try await fixture.collect(try engine.generate(fixture.request("Water boils at", maxTokens: 4)))
        #expect(output.tokens.count == 4)
    }

    @Test(.timeLimit(.minutes(2)))
    func tinyKVPoolPreemptsAndStillMatchesGeneratingAlone() async throws {
        let fixture = try EngineFixture.shared
        var config = EngineConfig.forTests
        config.scheduler.blockSize = 4
        // 16 blocks of 4 tokens: each request needs ~8-10 blocks by its end, so at most two fit at once.
        config.kvCacheMemoryBytes = PagedKVCache.bytesPerToken(fixture.model.config) * 4 * 16
        let engine = fixture.makeEngine(config)
        defer { engine.shutdown() }
        #expect(engine.schedulerConfig.numBlocks == 16)
        let prompts = Array(Self.prompts.prefix(6))
        let maxTokens = 24
        let requests = prompts.map { prompt in
            var request = fixture.request(prompt, maxTokens: maxTokens)
            request.stopTokenIds = []
            return request
        }
        let outputs = try await fixture.runConcurrently(engine, requests)
        for (prompt, output) in zip(prompts, outputs) {
            let alone = try fixture.greedyAlone(prompt, maxTokens: maxTokens, stopTokenIds: [])
            #expect(output.tokens == alone.tokens, "prompt: \(prompt)")
            #expect(output.finishReason == .length)
            #expect(output.text == fixture.tokenizer.decode(alone.tokens, skipSpecialTokens: true))
        }
        let stats = try #require(engine.stats)
        #expect(stats.numPreemptionsTotal > 0)
        #expect(stats.numFreeBlocks == 16)
    }

    /// logit_bias with the real model: banning the greedy first token changes the first token to the runner-up,
    /// and +100 on a token makes greedy decoding repeat it.
    @Test func logitBiasBansAndForcesTokens() async throws {
        let fixture = try EngineFixture.shared
        let engine = fixture.makeEngine()
        defer { engine.shutdown() }
        let prompt = "The capital of France is"
        let plain = try await fixture.collect(try engine.generate(fixture.request(prompt, maxTokens: 4)))
        let first = try #require(plain.tokens.first)
        var banned = fixture.request(prompt, maxTokens: 4)
        banned.sampling.logitBias = [first: -100]
        let output = try await fixture.collect(try engine.generate(banned))
        let promptTokens = fixture.encode(prompt)
        let runner = ModelRunner(model: fixture.model, numBlocks: 1, blockSize: 16)
        try runner.forward(ForwardBatch([
            ScheduledChunk(tokens: promptTokens, numCachedTokens: 0, blockTable: [0], logitIndices: [promptTokens.count - 1])
        ]))
        let runnerUp = runner.withLogits(row: 0) { logits in
            (0..<logits.count).filter { $0 != first }.max { logits[$0] < logits[$1] }!
        }
        #expect(output.tokens.first == runnerUp)
        #expect(!output.tokens.contains(first))
        var forced = fixture.request(prompt, maxTokens: 3)
        forced.sampling.logitBias = [1000: 100]
        let forcedOutput = try await fixture.collect(try engine.generate(forced))
        #expect(forcedOutput.tokens == [1000, 1000, 1000])
    }

    @Test func seededSamplingIsReproducible() async throws {
        let fixture = try EngineFixture.shared
        let engine = fixture.makeEngine()
        defer { engine.shutdown() }
        func sampled(_ seed: UInt64) -> GenerationRequest {
            var request = fixture.request("Once upon a time", maxTokens: 20)
            request.sampling = SamplingParams(temperature: 1.0, topP: 0.95, seed: seed, numTopLogprobs: 2)
            request.stopTokenIds = []
            return request
        }
        // The same seed alone and next to other requests.
        let first = try await fixture.collect(try engine.generate(sampled(7)))
        let batch = try await fixture.runConcurrently(
            engine, [sampled(7), sampled(8), fixture.request("The quick brown fox", maxTokens: 20)])
        #expect(first.tokens == batch[0].tokens)
        #expect(first.text == batch[0].text)
        #expect(first.generated.allSatisfy { $0.logprob != nil && $0.topLogprobs.count == 2 })
        #expect(first.tokens != batch[1].tokens)
    }

    @Test func fullQueueThrowsOverloaded() async throws {
        let fixture = try EngineFixture.shared
        var config = EngineConfig.forTests
        config.scheduler.maxNumSeqs = 1
        config.scheduler.maxWaitingRequests = 1
        let engine = fixture.makeEngine(config)
        var request = fixture.request("The quick brown fox", maxTokens: 500)
        request.stopTokenIds = []
        var streams: [AsyncStream<GenerationEvent>] = []
        var overloaded = 0
        // One runs, one waits, and at the latest the third is refused.
        for _ in 0..<3 {
            do {
                streams.append(try engine.generate(request))
            } catch {
                #expect(error == .overloaded(limit: 1))
                overloaded += 1
            }
        }
        #expect(overloaded >= 1)
        #expect(streams.count >= 1)
        engine.shutdown(cancelInFlight: true)
        #expect(throws: EngineError.shuttingDown) { try engine.generate(request) }
        // Every accepted stream still ends with a last event: an error saying why, not a finish.
        for stream in streams {
            let output = try await fixture.collect(stream)
            #expect(output.failure?.kind == .shuttingDown)
            #expect(output.finishReason == nil)
        }
    }

    @Test func tooLargeRequestsAreRefused() throws {
        let fixture = try EngineFixture.shared
        var config = EngineConfig.forTests
        config.kvCacheMemoryBytes = PagedKVCache.bytesPerToken(fixture.model.config) * 16 * 8
        let engine = fixture.makeEngine(config)
        defer { engine.shutdown() }
        #expect(throws: EngineError.self) { try engine.generate(fixture.request("Hello", maxTokens: 200)) }
        #expect(throws: EngineError.self) { try engine.generate(fixture.request("Hello", maxTokens: 9000)) }
        var empty = fixture.request("Hello", maxTokens: 4)
        empty.promptTokens = []
        #expect(throws: EngineError.self) { try engine.generate(empty) }
    }

    @Test func drainingShutdownFinishesInFlightRequests() async throws {
        let fixture = try EngineFixture.shared
        let engine = fixture.makeEngine()
        var request = fixture.request("The three primary colors are", maxTokens: 8)
        request.stopTokenIds = []
        let stream = try engine.generate(request)
        engine.shutdown()
        let output = try await fixture.collect(stream)
        #expect(output.tokens.count == 8)
        #expect(output.finishReason == .length)
    }
}

/// Polls `condition` every 5 ms for up to 30 s (a loaded machine is slow; only a failure waits that long).
func waitUntil(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within 30 s")
            return
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// The real model and tokenizer, loaded once for all engine tests.
struct EngineFixture: Sendable {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("weights/smol-135m")
    static var isAvailable: Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.safetensors").path)
    }
    static let loaded = Result { try EngineFixture() }
    static var shared: EngineFixture { get throws { try loaded.get() } }

    let model: LlamaModel
    let tokenizer: Tokenizer

    private init() throws {
        model = try LlamaModel(directory: Self.directory)
        tokenizer = try Tokenizer(directory: Self.directory)
    }

    func makeEngine(_ config: EngineConfig = EngineConfig.forTests) -> LlamaBatchEngine {
        var config = config
        if config.kvCacheMemoryBytes == EngineConfig.forTests.kvCacheMemoryBytes { config.kvCacheMemoryBytes = 64 << 20 }
        return LlamaBatchEngine(model: model, tokenizer: tokenizer, config: config)
    }

    func encode(_ prompt: String) -> [Int] { tokenizer.encode(prompt, addSpecialTokens: true) }

    var eos: Set<Int> { Set(model.config.eosTokenIds) }

    func request(_ prompt: String, maxTokens: Int) -> GenerationRequest {
        GenerationRequest(promptTokens: encode(prompt), maxTokens: maxTokens, sampling: .greedy, stopTokenIds: eos)
    }

    func greedyAlone(_ prompt: String, maxTokens: Int, stopTokenIds: Set<Int>? = nil) throws -> Generation {
        try generateGreedy(model: model, prompt: encode(prompt), maxNewTokens: maxTokens, stopTokenIds: stopTokenIds ?? eos)
    }

    struct Output: Sendable {
        var text = ""
        var generated: [GeneratedToken] = []
        var numDeltas = 0
        var finishReason: GenerationFinishReason?
        var usage: GenerationUsage?
        var failure: GenerationFailure?
        var tokens: [Int] { generated.map(\.token) }
        var hasEnded: Bool { finishReason != nil || failure != nil }
    }

    /// Reads a stream to its end; records an issue unless `.finished` or `.failed` came last, exactly once.
    func collect(_ stream: AsyncStream<GenerationEvent>) async throws -> Output {
        var output = Output()
        for await event in stream {
            #expect(!output.hasEnded, "event after the last one: \(event)")
            switch event {
            case .delta(let text, let tokens):
                output.text += text
                output.generated += tokens
                output.numDeltas += 1
            case .finished(let reason, let usage):
                output.finishReason = reason
                output.usage = usage
            case .failed(let failure):
                output.failure = failure
            }
        }
        #expect(output.hasEnded, "stream ended without .finished or .failed")
        return output
    }

    /// Submits all requests at once and collects them concurrently; outputs in request order.
    func runConcurrently(_ engine: LlamaBatchEngine, _ requests: [GenerationRequest]) async throws -> [Output] {
        let streams = try requests.map { try engine.generate($0) }
        return try await withThrowingTaskGroup(of: (Int, Output).self) { group in
            for (index, stream) in streams.enumerated() {
                group.addTask { (index, try await self.collect(stream)) }
            }
            var outputs = [Output?](repeating: nil, count: streams.count)
            for try await (index, output) in group { outputs[index] = output }
            return outputs.map { $0! }
        }
    }
}
