import Foundation
import Metrics
import Model
import Prometheus
import Scheduler
import Testing
import Tokenizer

@testable import Serve

/// Speculative decoding with the real SmolLM2-135M: it changes how many tokens a step yields, never which.
@Suite(.enabled(if: EngineFixture.isAvailable, "weights/smol-135m not fetched"))
struct SpeculationEngineTests {
    /// Varied prompts; the repetitive ones make n-gram drafts that are partly accepted, partly rejected.
    static let prompts = [
        "The capital of France is",
        "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n\ndef fibonacci_memo(n, memo={}):",
        "Repeat after me: the cat sat on the mat. The cat sat on the mat. The cat",
        "1, 2, 3, 4, 5, 6, 7, 8,",
        "Once upon a time, in a small village,",
        "<ul>\n  <li>apple</li>\n  <li>banana</li>\n  <li>",
        "The three primary colors are red, blue and yellow. The three primary colors are",
        "SELECT name, age FROM users WHERE age > 30; SELECT name, age FROM",
        "Water boils at",
        "a b c d e f g a b c d e f g a b c",
        "My favourite programming language is",
        "Roses are red, violets are blue, sugar is sweet, and so are you. Roses are red,",
    ]

    /// Not adaptive: every step drafts all it can, so verification is exercised whatever the step times.
    private func engine(_ mode: SpeculationConfig.Mode, registry: PrometheusCollectorRegistry? = nil) throws -> LlamaBatchEngine {
        let fixture = try EngineFixture.shared
        var config = EngineConfig.forTests
        config.kvCacheMemoryBytes = 64 << 20
        config.speculation.mode = mode
        config.speculation.isAdaptive = false
        return LlamaBatchEngine(
            model: fixture.model, tokenizer: fixture.tokenizer, config: config,
            draftModel: mode == .draft ? fixture.model : nil,
            metricsFactory: registry.map { PrometheusMetricsFactory(registry: $0) } ?? NOOPMetricsHandler.instance)
    }

    private func counter(_ registry: PrometheusCollectorRegistry, _ name: String) -> Double {
        let line = registry.emitToString().split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ").last!) } ?? 0
    }

    /// Each prompt alone and all of them in one batch, with speculation off, n-gram and a draft model (the
    /// target itself, so its drafts are long and accepted): the same tokens everywhere.
    @Test func greedyOutputIsTheSameWithSpeculationOffNgramAndDraft() async throws {
        let fixture = try EngineFixture.shared
        let requests = Self.prompts.map { prompt -> GenerationRequest in
            var request = fixture.request(prompt, maxTokens: 40)
            request.stopTokenIds = []
            return request
        }
        var reference: [[Int]] = []
        for (index, mode) in [SpeculationConfig.Mode.off, .ngram, .draft].enumerated() {
            let registry = PrometheusCollectorRegistry()
            let engine = try engine(mode, registry: registry)
            defer { engine.shutdown() }
            var alone: [[Int]] = []
            for request in requests { alone.append(try await fixture.collect(try engine.generate(request)).tokens) }
            let batched = try await fixture.runConcurrently(engine, requests).map(\.tokens)
            if index == 0 { reference = alone }
            #expect(alone == reference, "\(mode) alone")
            #expect(batched == reference, "\(mode) batched")
            let drafted = counter(registry, "serve_spec_decode_num_draft_tokens_total")
            let accepted = counter(registry, "serve_spec_decode_num_accepted_tokens_total")
            if mode == .off {
                #expect(drafted == 0)
            } else {
                #expect(accepted > 100, "\(mode): \(accepted) of \(drafted) drafts accepted")
                if mode == .ngram { #expect(drafted > accepted, "some n-gram drafts must be rejected for the test to mean much") }
            }
        }
    }

    /// A seeded sampled request gives the same tokens with speculation off, with n-gram drafts and with a
    /// prediction (draws are keyed by seed and output position, not consumed from a stream).
    @Test func seededSamplingIsTheSameWithAndWithoutDrafts() async throws {
        let fixture = try EngineFixture.shared
        let off = try engine(.off), ngram = try engine(.ngram)
        defer { off.shutdown(); ngram.shutdown() }
        for (index, prompt) in Self.prompts.prefix(6).enumerated() {
            var request = fixture.request(prompt, maxTokens: 32)
            request.sampling = SamplingParams(temperature: 0.8, topP: 0.95, seed: UInt64(index) + 7)
            request.stopTokenIds = []
            let expected = try await fixture.collect(try off.generate(request))
            #expect(try await fixture.collect(try ngram.generate(request)).tokens == expected.tokens, "ngram, prompt \(index)")
            // The prediction: the expected output with a few tokens changed in the middle.
            var prediction = expected.tokens
            for i in stride(from: 10, to: min(14, prediction.count), by: 1) { prediction[i] = (prediction[i] + 17) % 49152 }
            request.predictionTokens = prediction
            let predicted = try await fixture.collect(try off.generate(request))
            #expect(predicted.tokens == expected.tokens, "prediction, prompt \(index)")
        }
    }

    /// OpenAI's usage numbers: accepted prediction tokens are those verification took, the rest are rejected,
    /// and together they are the prediction's length.
    @Test func predictionUsageAddsUpToThePrediction() async throws {
        let fixture = try EngineFixture.shared
        let engine = try engine(.off)
        defer { engine.shutdown() }
        var request = fixture.request(Self.prompts[2], maxTokens: 48)
        request.stopTokenIds = []
        let plain = try await fixture.collect(try engine.generate(request))
        #expect(plain.usage?.acceptedPredictionTokens == nil)

        request.predictionTokens = Array(plain.tokens.prefix(30)) + fixture.encode(" and something else entirely")
        let predicted = try await fixture.collect(try engine.generate(request))
        #expect(predicted.tokens == plain.tokens)
        let usage = try #require(predicted.usage)
        let accepted = try #require(usage.acceptedPredictionTokens), rejected = try #require(usage.rejectedPredictionTokens)
        #expect(accepted + rejected == request.predictionTokens!.count)
        #expect(accepted >= 20 && accepted <= 30, "accepted \(accepted)")
    }

    /// A request that opts out never speculates.
    @Test func requestOptOutMeansNoDrafts() async throws {
        let fixture = try EngineFixture.shared
        let registry = PrometheusCollectorRegistry()
        let engine = try engine(.ngram, registry: registry)
        defer { engine.shutdown() }
        var request = fixture.request(Self.prompts[13 % Self.prompts.count], maxTokens: 32)
        request.stopTokenIds = []
        request.allowsSpeculation = false
        _ = try await fixture.collect(try engine.generate(request))
        #expect(counter(registry, "serve_spec_decode_num_drafts_total") == 0)
    }

    /// A draft model that shares the target's vocabulary loads, without the LM head's int8 copy for greedy rows
    /// (its proposer always needs distributions), which the target keeps where a kernel path reads it.
    @Test func draftLoadsWithoutGreedyHead() throws {
        let fixture = try EngineFixture.shared
        let draft = try ServedModel.loadDraftModel(EngineFixture.directory, target: fixture.model, tokenizer: fixture.tokenizer)
        #expect(draft.weights.greedyHead == nil)
        #expect((fixture.model.weights.greedyHead != nil) == GreedyHead.isWanted)
    }

    /// A draft model must share the target's vocabulary; startup refuses one that does not, naming it.
    @Test func draftWithAnotherVocabularyIsRefused() throws {
        let fixture = try EngineFixture.shared
        let tiny = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tiny-llama")
        #expect(throws: ServeError.draftVocabularyMismatch(path: tiny.path, draft: 96, target: fixture.model.config.vocabSize)) {
            _ = try ServedModel.loadDraftModel(tiny, target: fixture.model, tokenizer: fixture.tokenizer)
        }
    }
}
