import XCTest
import Scheduler

/// The draft sources and the per-step draft-length choice, with literal values.
final class ProposerTests: XCTestCase {
    func testNgramProposesWhatFollowedTheLatestEarlierMatch() {
        let proposer = NgramProposer(minN: 2, maxN: 3)
        // "5 6" occurs twice before the end; the latest one (followed by 9 9) wins over the earlier (7 8).
        let tokens = [1, 5, 6, 7, 8, 2, 5, 6, 9, 9, 3, 5, 6]
        XCTAssertEqual(proposer.propose(after: tokens, numPromptTokens: 4, maxTokens: 3), [9, 9, 3])
        XCTAssertEqual(proposer.propose(after: tokens, numPromptTokens: 4, maxTokens: 1), [9])
        // The longest suffix first: "2 5 6" appears once, before "9 9".
        XCTAssertEqual(NgramProposer(minN: 2, maxN: 3).propose(after: [2, 5, 6, 4, 4, 7, 2, 5, 6], numPromptTokens: 0, maxTokens: 2), [4, 4])
        // No earlier occurrence of the last two tokens: nothing.
        XCTAssertEqual(proposer.propose(after: [1, 2, 3, 4], numPromptTokens: 0, maxTokens: 4), [])
    }

    func testPredictionFollowsTheOutputAndRealignsAfterAnEdit() {
        let prediction = [10, 11, 12, 13, 14, 15, 16, 17]
        var proposer = PredictionProposer(prediction: prediction)
        let prompt = [1, 2, 3]
        XCTAssertEqual(proposer.propose(after: prompt, numPromptTokens: 3, maxTokens: 3), [10, 11, 12])
        proposer.observe(numAccepted: 3)
        // The output took 10 11 12 then the model's own 13: continue at 14.
        XCTAssertEqual(proposer.propose(after: prompt + [10, 11, 12, 13], numPromptTokens: 3, maxTokens: 2), [14, 15])
        proposer.observe(numAccepted: 0)
        // An edit: 99 instead of 14, then the output rejoins at 15 — realigned on the suffix [15].
        XCTAssertEqual(proposer.propose(after: prompt + [10, 11, 12, 13, 99], numPromptTokens: 3, maxTokens: 2), [])
        XCTAssertEqual(proposer.propose(after: prompt + [10, 11, 12, 13, 99, 15], numPromptTokens: 3, maxTokens: 2), [16, 17])
        proposer.observe(numAccepted: 2)
        XCTAssertEqual(proposer.numAcceptedTokens, 5)  // 10 11 12, 16 17
        XCTAssertEqual(proposer.numRejectedTokens, 3)
        XCTAssertEqual(proposer.numAcceptedTokens + proposer.numRejectedTokens, prediction.count)
    }

    func testAcceptanceEstimateLearnsPerPositionAndFillsUnreachedOnes() {
        var estimate = AcceptanceEstimate(maxDraftTokens: 4, prior: 0.5)
        estimate.record(numDrafted: 4, numAccepted: 1)  // position 0 accepted, 1 rejected, 2 and 3 unseen
        XCTAssertEqual(estimate.rates[0], 0.6, accuracy: 1e-9)
        XCTAssertEqual(estimate.rates[1], 0.4, accuracy: 1e-9)
        XCTAssertEqual(estimate.rates[2], 0.4, accuracy: 1e-9)
        XCTAssertEqual(estimate.expectedAccepted(2), 0.6 + 0.6 * 0.4, accuracy: 1e-9)
        for _ in 0..<500 { estimate.relax() }
        XCTAssertEqual(estimate.rates[0], 0.5, accuracy: 1e-3)
    }

    func testStepTimeModelInterpolatesAndForgetsOldMeasurements() {
        var model = StepTimeModel(maxRows: 16)
        XCTAssertNil(model.estimate(rows: 4))
        model.record(rows: 1, seconds: 0.010)
        model.record(rows: 9, seconds: 0.018)
        XCTAssertEqual(model.estimate(rows: 5)!, 0.014, accuracy: 1e-9)
        XCTAssertEqual(model.estimate(rows: 16)!, 0.018, accuracy: 1e-9)  // flat past the largest: tried, then measured
        for _ in 0..<100 { model.record(rows: 1, seconds: 0.010) }
        XCTAssertEqual(model.estimate(rows: 9)!, 0.010, accuracy: 1e-9)  // the 9-row mean aged out
    }

    /// Every row count of a 48-token budget measured once (recently enough that none has aged out).
    private func times(_ perRow: (Int) -> Double) -> StepTimeModel {
        var model = StepTimeModel(maxRows: 48)
        for rows in 1...48 { model.record(rows: rows, seconds: perRow(rows)) }
        return model
    }

    private func candidates(_ count: Int, rate: Double) -> [DraftLengthPlanner.Candidate] {
        (0..<count).map { id in
            var estimate = AcceptanceEstimate(maxDraftTokens: 8, prior: rate)
            estimate.relax()
            return .init(id: id, numOffered: 8, acceptance: estimate)
        }
    }

    /// One memory-bound sequence whose drafts are usually right drafts all it can; sixteen compute-bound
    /// sequences whose drafts are often wrong draft nothing.
    func testPlannerDraftsWhenRowsAreCheapAndAcceptanceHigh() {
        let memoryBound = times { 0.010 + 0.0002 * Double($0) }
        XCTAssertEqual(DraftLengthPlanner.choose(candidates(1, rate: 0.9), numDecodes: 1, baseRows: 1, maxDraftRows: 47, timeModel: memoryBound), [0: 8])
        let computeBound = times { 0.002 * Double($0) }
        XCTAssertEqual(DraftLengthPlanner.choose(candidates(16, rate: 0.5), numDecodes: 16, baseRows: 16, maxDraftRows: 32, timeModel: computeBound), [:])
        // Same acceptance, cheap rows: worth it again; a costly draft model tips it back.
        XCTAssertFalse(DraftLengthPlanner.choose(candidates(16, rate: 0.5), numDecodes: 16, baseRows: 16, maxDraftRows: 32, timeModel: memoryBound).isEmpty)
        XCTAssertEqual(DraftLengthPlanner.choose(
            candidates(1, rate: 0.9), numDecodes: 1, baseRows: 1, maxDraftRows: 47, timeModel: memoryBound,
            extraSeconds: { _, longest in 0.02 * Double(longest) }), [:])
    }
}
