import XCTest
import Scheduler

/// Decode chunks that carry draft tokens: how many fit, what a commit keeps, which blocks go back.
final class SpeculationTests: XCTestCase {
    /// Right drafts are all accepted: the output is the reference in fewer steps.
    func testRightDraftsAreAcceptedAndOutputMatchesReference() {
        var harness = Harness(SchedulerConfig(maxNumBatchedTokens: 2048, blockSize: 4, numBlocks: 32))
        harness.add(1, prompt: Harness.prompt(6, seed: 1), maxNewTokens: 20)
        harness.step()  // prefill: first token
        var steps = 1
        while harness.scheduler.hasWork {
            harness.proposeDrafts(count: 4, wrongAt: { _ in nil })
            harness.step()
            steps += 1
        }
        XCTAssertEqual(harness.finished, [1: .length])
        harness.assertOutputsMatchReference()
        XCTAssertEqual(steps, 1 + 4)  // 1 token, then 5 per step: 19 more tokens in 4 steps
        XCTAssertEqual(harness.scheduler.stats.numFreeBlocks, 32)
    }

    /// A draft wrong at index j: drafts before it are kept, the model's token replaces it, the cache advances
    /// past the kept ones only, and the blocks taken for the rejected tail are returned.
    func testWrongDraftKeepsItsPrefixAndReturnsBlocks() throws {
        var harness = Harness(SchedulerConfig(maxNumBatchedTokens: 2048, blockSize: 4, numBlocks: 32))
        harness.add(1, prompt: Harness.prompt(4, seed: 2), maxNewTokens: 30)
        harness.step()
        XCTAssertEqual(harness.scheduler.blockTable(of: 1)?.count, 1)  // the 4 prompt positions; the next is taken by the plan
        harness.proposeDrafts(count: 8, wrongAt: { _ in 2 })
        let plan = harness.plan()
        let chunk = try XCTUnwrap(plan.chunks.first)
        XCTAssertEqual(chunk.tokens.count, 9)
        XCTAssertEqual(chunk.numDraftTokens, 8)
        XCTAssertEqual(chunk.numCachedTokens, 4)
        XCTAssertEqual(harness.scheduler.blockTable(of: 1)?.count, 4)  // positions 4...12
        let events = harness.commit(plan)
        XCTAssertEqual(events.count, 3)  // two drafts accepted, then the model's token
        XCTAssertEqual(harness.scheduler.blockTable(of: 1)?.count, 2)  // cached 7, next position 7
        harness.runUntilIdle()
        harness.assertOutputsMatchReference()
    }

    /// A prompt waiting or mid-prefill takes the budget before drafts do: speculation never delays a prompt.
    func testPrefillComesBeforeDrafts() throws {
        var harness = Harness(SchedulerConfig(maxNumSeqs: 4, maxNumBatchedTokens: 8, blockSize: 4, numBlocks: 32))
        harness.add(1, prompt: Harness.prompt(3, seed: 1), maxNewTokens: 20)
        harness.step()
        harness.add(2, prompt: Harness.prompt(10, seed: 2), maxNewTokens: 5)
        harness.proposeDrafts(count: 6, wrongAt: { _ in nil })
        let plan = harness.plan()
        XCTAssertEqual(plan.chunks.map(\.tokens.count), [1, 7])  // the decode alone, then 7 prompt tokens
        harness.commit(plan)
        harness.proposeDrafts(count: 6, wrongAt: { _ in nil })
        let next = harness.plan()
        // The last 3 prompt tokens first; the 4 tokens of budget left go to the decode's drafts.
        XCTAssertEqual(next.chunks.map(\.numDraftTokens), [4, 0])
        XCTAssertEqual(next.chunks.map(\.tokens.count), [5, 3])
    }

    /// Drafts take what is left of the token budget after every decode's own token, never more than the
    /// sequence may still generate minus one, and never preempt: with no free block they shrink.
    func testDraftsFitBudgetRemainingTokensAndFreeBlocks() throws {
        var harness = Harness(SchedulerConfig(maxNumSeqs: 4, maxNumBatchedTokens: 8, blockSize: 4, numBlocks: 32))
        for id in 1...3 { harness.add(id, prompt: Harness.prompt(2, seed: id), maxNewTokens: id == 3 ? 3 : 20) }
        harness.step()
        harness.proposeDrafts(count: 6, wrongAt: { _ in nil })
        let plan = harness.plan()
        // Budget 8: three decode tokens, then drafts oldest first: 5 for sequence 1, none left for 2.
        XCTAssertEqual(plan.chunks.map(\.numDraftTokens), [5, 0, 0])
        harness.commit(plan)

        var tight = Harness(SchedulerConfig(maxNumBatchedTokens: 64, blockSize: 4, numBlocks: 3))
        tight.add(1, prompt: Harness.prompt(3, seed: 4), maxNewTokens: 8)
        tight.add(2, prompt: Harness.prompt(3, seed: 5), maxNewTokens: 2)
        tight.step()
        tight.proposeDrafts(count: 6, wrongAt: { _ in nil })
        let short = tight.plan()
        // Sequence 1 holds block 1 of 3 (positions 0...3) and the pool has one free block: 4 drafts fit
        // (positions 3...7), no preemption. Sequence 2 may generate one more token only: no draft.
        XCTAssertEqual(short.preempted, [])
        XCTAssertEqual(short.chunks.map(\.numDraftTokens), [4, 0])
        tight.commit(short)
        tight.runUntilIdle()
        tight.assertOutputsMatchReference()
    }
}
