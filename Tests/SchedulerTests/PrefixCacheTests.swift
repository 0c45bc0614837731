import XCTest
import Scheduler

/// Automatic prefix caching: what an admission finds, what it computes, what is published, what is evicted.
final class PrefixCacheTests: XCTestCase {
    private let config = SchedulerConfig(maxNumSeqs: 4, maxNumBatchedTokens: 64, blockSize: 4, numBlocks: 32)

    /// A prompt sharing two full blocks with a finished one starts after them, reading the same blocks.
    func testSharedPrefixIsReadNotRecomputed() throws {
        var harness = Harness(config)
        let system = Harness.prompt(8, seed: 1)
        harness.add(1, prompt: system + [5, 6], maxNewTokens: 3)
        harness.runUntilIdle()
        let firstBlocks = try XCTUnwrap(harness.plans.first?.chunks.first?.blockTable.prefix(2))

        harness.add(2, prompt: system + [7, 8, 9], maxNewTokens: 3)
        let chunk = try XCTUnwrap(harness.step().plan.chunks.first)
        XCTAssertEqual(chunk.numCachedTokens, 8)
        XCTAssertEqual(chunk.tokens, [7, 8, 9])
        XCTAssertEqual(Array(chunk.blockTable.prefix(2)), Array(firstBlocks))
        harness.runUntilIdle()
        harness.assertOutputsMatchReference()
        XCTAssertEqual(harness.scheduler.stats.numPrefixCacheQueryTokens, 10 + 11)
        XCTAssertEqual(harness.scheduler.stats.numPrefixCacheHitTokens, 8)
    }

    /// A prompt that is all cached still computes its last token: its row gives the first logits. Only whole
    /// blocks are shared, so that is the whole last block.
    func testAFullyCachedPromptComputesItsLastBlock() throws {
        var harness = Harness(config)
        let prompt = Harness.prompt(8, seed: 2)
        harness.add(1, prompt: prompt, maxNewTokens: 2)
        harness.runUntilIdle()
        harness.add(2, prompt: prompt, maxNewTokens: 2)
        let chunk = try XCTUnwrap(harness.step().plan.chunks.first)
        XCTAssertEqual(chunk.numCachedTokens, 4)
        XCTAssertEqual(chunk.tokens, Array(prompt[4...]))
        harness.runUntilIdle()
        harness.assertOutputsMatchReference()
        XCTAssertEqual(harness.outputs[1], harness.outputs[2])
    }

    /// Two running sequences list the same blocks; the first finishing frees nothing the second still reads.
    func testRunningSequencesShareBlocks() throws {
        var harness = Harness(config)
        let system = Harness.prompt(12, seed: 3)
        harness.add(1, prompt: system + [1], maxNewTokens: 4)
        harness.step()  // 1's prompt is cached and published: 3 full blocks
        harness.add(2, prompt: system + [2, 3], maxNewTokens: 12)
        let chunk = try XCTUnwrap(harness.step().plan.chunks.last)
        XCTAssertEqual(chunk.id, 2)
        XCTAssertEqual(chunk.numCachedTokens, 12)
        let shared = Array(chunk.blockTable.prefix(3))
        XCTAssertEqual(Array(harness.scheduler.blockTable(of: 1)!.prefix(3)), shared)
        XCTAssertEqual(shared.map(harness.scheduler.pool.referenceCount(of:)), [2, 2, 2])
        while harness.finished[1] == nil { harness.step() }
        XCTAssertEqual(shared.map(harness.scheduler.pool.referenceCount(of:)), [1, 1, 1])
        harness.runUntilIdle()
        harness.assertOutputsMatchReference()
        XCTAssertEqual(shared.map(harness.scheduler.pool.referenceCount(of:)), [0, 0, 0])
        XCTAssertEqual(harness.scheduler.stats.kvCacheUsage, 0)
        XCTAssertGreaterThan(harness.scheduler.stats.numCachedBlocks, 3, "free blocks stay cached")
    }

    /// Draft tokens never reach the cache: a block filled with drafts that were then rejected is not
    /// published, and the blocks that are published hold exactly the sequence's tokens (the invariant checker
    /// compares every cached block a sequence lists with the hash of its tokens after every step).
    func testRejectedDraftsAreNeverPublished() throws {
        var harness = Harness(config)
        harness.add(1, prompt: Harness.prompt(4, seed: 4), maxNewTokens: 20)
        harness.step()
        harness.proposeDrafts(count: 8, wrongAt: { _ in 0 })  // drafts cover positions 5...12, all rejected
        let plan = harness.plan()
        XCTAssertEqual(plan.chunks.first?.numDraftTokens, 8)
        harness.commit(plan)
        let table = harness.scheduler.blockTable(of: 1)!
        XCTAssertNotNil(harness.scheduler.pool.hash(of: table[0]))  // the prompt's block
        XCTAssertEqual(harness.scheduler.stats.numCachedBlocks, 1, "only the prompt's block is final")
        harness.runUntilIdle()
        harness.assertOutputsMatchReference()
        // 4 + 19 tokens of KV: 5 full blocks, each published once it held final tokens.
        XCTAssertEqual(harness.scheduler.stats.numCachedBlocks, 5)
    }

    /// A new block is taken from uncached free blocks first, then from cached ones least recently freed first;
    /// an evicted prefix is computed again.
    func testEvictionTakesLeastRecentlyFreedFirst() throws {
        var harness = Harness(SchedulerConfig(maxNumSeqs: 1, maxNumBatchedTokens: 64, blockSize: 4, numBlocks: 6))
        let a = Harness.prompt(8, seed: 5), b = Harness.prompt(8, seed: 6)
        harness.add(1, prompt: a, maxNewTokens: 1)  // KV of 8 tokens: 2 blocks cached
        harness.runUntilIdle()
        harness.add(2, prompt: b, maxNewTokens: 1)  // 2 more cached, taken from the uncached ones
        harness.runUntilIdle()
        XCTAssertEqual(harness.scheduler.stats.numCachedBlocks, 4)
        XCTAssertEqual(harness.scheduler.pool.numEvictions, 0)
        // 16 positions need 4 blocks: the 2 uncached ones, then a's (freed before b's).
        harness.add(3, prompt: Harness.prompt(15, seed: 7), maxNewTokens: 1)
        harness.runUntilIdle()
        XCTAssertEqual(harness.scheduler.pool.numEvictions, 2)
        harness.add(4, prompt: b + [1], maxNewTokens: 1)
        XCTAssertEqual(harness.step().plan.chunks.first?.numCachedTokens, 8, "b survived")
        harness.add(5, prompt: a + [1], maxNewTokens: 1)
        harness.runUntilIdle()
        XCTAssertEqual(harness.plans.last(where: { $0.chunks.first?.id == 5 })?.chunks.first?.numCachedTokens, 0, "a was evicted")
        harness.assertOutputsMatchReference()
    }

    /// A preempted sequence finds its own published blocks again if they were not evicted meanwhile.
    func testPreemptedSequenceResumesFromItsCachedBlocks() {
        var harness = Harness(SchedulerConfig(maxNumSeqs: 2, maxNumBatchedTokens: 64, blockSize: 4, numBlocks: 8))
        harness.add(1, prompt: Harness.prompt(12, seed: 8), maxNewTokens: 12)
        harness.add(2, prompt: Harness.prompt(8, seed: 9), maxNewTokens: 12)
        var resumedFrom: [Int] = []
        while harness.scheduler.hasWork {
            let (plan, _) = harness.step()
            for chunk in plan.chunks where chunk.isPrefill && harness.plans.dropLast().contains(where: { $0.preempted.contains(chunk.id) }) {
                if chunk.numCachedTokens > 0 { resumedFrom.append(chunk.numCachedTokens) }
            }
        }
        XCTAssertGreaterThan(harness.scheduler.stats.numPreemptionsTotal, 0)
        XCTAssertFalse(resumedFrom.isEmpty, "no preempted sequence found its blocks")
        harness.assertOutputsMatchReference()
    }

    /// Off, the pool is a free list: nothing cached, nothing found.
    func testCachingOff() throws {
        var config = config
        config.enablePrefixCaching = false
        var harness = Harness(config)
        let prompt = Harness.prompt(12, seed: 10)
        harness.add(1, prompt: prompt, maxNewTokens: 2)
        harness.runUntilIdle()
        harness.add(2, prompt: prompt + [1], maxNewTokens: 2)
        XCTAssertEqual(harness.step().plan.chunks.first?.numCachedTokens, 0)
        harness.runUntilIdle()
        XCTAssertEqual(harness.scheduler.stats.numCachedBlocks, 0)
        XCTAssertEqual(harness.scheduler.stats.numPrefixCacheQueryTokens, 0)
        harness.assertOutputsMatchReference()
    }

    /// A pool too small for the load: requests sharing system prompts, run concurrently, with preemption and
    /// eviction. Everything completes with the reference output, and afterwards no block is listed by anyone
    /// while the cache still holds blocks.
    func testSmallPoolUnderSharedLoad() {
        var harness = Harness(SchedulerConfig(maxNumSeqs: 6, maxNumBatchedTokens: 32, blockSize: 4, numBlocks: 24))
        let systems = (0..<3).map { Harness.prompt(12 + 4 * $0, seed: 100 + $0) }
        for id in 0..<60 {
            let question = Harness.prompt(1 + id % 7, seed: id)
            harness.add(id, prompt: systems[id % 3] + question, maxNewTokens: 8 + id % 13, at: Double(id) * 0.005)
            if id % 4 == 3 { harness.step() }
        }
        harness.runUntilIdle()
        XCTAssertEqual(harness.finished.count, 60)
        harness.assertOutputsMatchReference()
        let stats = harness.scheduler.stats
        XCTAssertGreaterThan(stats.numPreemptionsTotal, 0, "the pool was not small enough to preempt")
        XCTAssertGreaterThan(harness.scheduler.pool.numEvictions, 0, "nothing was evicted")
        XCTAssertGreaterThan(stats.numPrefixCacheHitTokens, 0)
        XCTAssertEqual((0..<24).map(harness.scheduler.pool.referenceCount(of:)), Array(repeating: 0, count: 24))
        XCTAssertEqual(stats.numFreeBlocks, 24)
        XCTAssertGreaterThan(stats.numCachedBlocks, 0)
    }
}
