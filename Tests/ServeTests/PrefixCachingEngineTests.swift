import Foundation
import Model
import Scheduler
import Testing

@testable import Serve

/// Prefix caching with the real SmolLM2-135M weights: reading a shared prefix's KV from the cache gives the same
/// greedy tokens as computing it (the reference: `generateGreedy`, one sequence, no engine), whether the requests
/// run one after another or together, and under a pool small enough to preempt and evict.
@Suite(.enabled(if: EngineFixture.isAvailable, "weights/smol-135m not fetched"))
struct PrefixCachingEngineTests {
    /// ~90 tokens: five full blocks of 16 shared by every prompt.
    static let system = """
        You are a helpful assistant for a small bakery in Lyon. Answer in one short sentence, politely, and \
        never invent prices. The bakery opens at seven, closes at six, sells bread, croissants and tarts, and \
        takes orders by phone the day before. Question:
        """
    static let questions = [
        "When do you open?", "Do you sell croissants?", "Can I order a cake?", "Where are you?",
        "Are you open on Sunday?", "Do you have gluten-free bread?", "How much is a baguette?", "Who bakes the bread?",
        "Can I pay by card?", "Do you deliver?", "What tarts do you make?", "When do you close?",
        "Is there parking?", "Do you make sandwiches?", "Can I order by email?", "What is your best seller?",
    ]
    static let maxTokens = 12

    private func requests(_ fixture: EngineFixture) -> [GenerationRequest] {
        Self.questions.map { question in
            var request = fixture.request(Self.system + " " + question, maxTokens: Self.maxTokens)
            request.stopTokenIds = []
            request.allowsSpeculation = false
            return request
        }
    }

    private func expectReferenceOutputs(_ outputs: [EngineFixture.Output], _ fixture: EngineFixture) throws {
        for (question, output) in zip(Self.questions, outputs) {
            let alone = try fixture.greedyAlone(Self.system + " " + question, maxTokens: Self.maxTokens, stopTokenIds: [])
            #expect(output.tokens == alone.tokens, "question: \(question)")
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func oneAfterAnotherReadsTheSharedPrefixAndMatchesTheReference() async throws {
        let fixture = try EngineFixture.shared
        let engine = fixture.makeEngine()
        defer { engine.shutdown() }
        var outputs: [EngineFixture.Output] = []
        for request in requests(fixture) { outputs.append(try await fixture.collect(try engine.generate(request))) }
        try expectReferenceOutputs(outputs, fixture)
        let numSharedTokens = fixture.encode(Self.system).count - 1  // the last may merge with the question's
        #expect(outputs[0].usage?.cachedPromptTokens == 0)
        for output in outputs.dropFirst() {
            #expect((output.usage?.cachedPromptTokens ?? 0) >= numSharedTokens / 16 * 16)
        }
        let stats = try #require(engine.stats)
        #expect(stats.numPrefixCacheHitTokens >= 15 * (numSharedTokens / 16 * 16))
    }

    @Test(.timeLimit(.minutes(3)))
    func concurrentlyWithAndWithoutCachingMatchTheReference() async throws {
        let fixture = try EngineFixture.shared
        for isCaching in [true, false] {
            var config = EngineConfig.forTests
            config.scheduler.enablePrefixCaching = isCaching
            config.scheduler.maxNumBatchedTokens = 128  // admissions spread over steps, so later ones find earlier blocks
            let engine = fixture.makeEngine(config)
            defer { engine.shutdown() }
            let outputs = try await fixture.runConcurrently(engine, requests(fixture))
            try expectReferenceOutputs(outputs, fixture)
            let numCached = outputs.reduce(0) { $0 + ($1.usage?.cachedPromptTokens ?? 0) }
            #expect(isCaching ? numCached > 0 : numCached == 0, "caching \(isCaching)")
        }
    }

    /// Done-when 4 of the issue: a pool far too small for the load preempts and evicts, everything completes with
    /// the reference's tokens, and afterwards no block is listed by anyone while the cache still holds blocks.
    @Test(.timeLimit(.minutes(3)))
    func smallPoolPreemptsEvictsAndEndsWithOnlyCachedBlocks() async throws {
        let fixture = try EngineFixture.shared
        var config = EngineConfig.forTests
        config.scheduler.blockSize = 16
        // 14 blocks of 16 tokens: two ~100-token sequences at a time, barely.
        config.kvCacheMemoryBytes = PagedKVCache.bytesPerToken(fixture.model.config) * 16 * 14
        config.scheduler.maxNumBatchedTokens = 64
        let engine = fixture.makeEngine(config)
        defer { engine.shutdown() }
        #expect(engine.schedulerConfig.numBlocks == 14)
        let all = requests(fixture)
        let outputs = try await fixture.runConcurrently(engine, Array(all.prefix(8)))
        try expectReferenceOutputs(outputs, fixture)
        try await waitUntil { engine.stats?.numRunning == 0 && engine.stats?.numWaiting == 0 }
        let stats = try #require(engine.stats)
        #expect(stats.numPreemptionsTotal > 0)
        #expect(stats.numPrefixCacheHitTokens > 0)
        #expect(stats.numEvictedBlocksTotal > 0)
        #expect(stats.numFreeBlocks == 14, "a block is still listed")
        #expect(stats.kvCacheUsage == 0)
        #expect(stats.numCachedBlocks > 0)
    }
}
