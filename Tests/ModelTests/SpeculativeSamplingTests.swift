import Foundation
import XCTest
@testable import Model

final class SpeculativeSamplingTests: XCTestCase {
    // MARK: The rule on hand-made distributions

    func testDraftAsLikelyUnderTheTargetIsAlwaysAccepted() {
        let p = TokenDistribution(weights: [1, 2, 1])
        let q = TokenDistribution(weights: [2, 1, 1])
        // p(1) = 0.5 >= q(1) = 0.25: accepted at any unit.
        XCTAssertEqual(verify(1, p, q, accept: 0.999_999), .accepted(1))
        XCTAssertEqual(verify(2, p, p, accept: 0.999_999), .accepted(2))
    }

    /// p(0) / q(0) = 0.25 / 0.5: accepted exactly when u < 0.5. The residual max(0, p − q) is all on token 1.
    func testDraftMoreLikelyUnderTheDraftIsAcceptedWithProbabilityPOverQ() {
        let p = TokenDistribution(weights: [1, 2, 1])
        let q = TokenDistribution(weights: [2, 1, 1])
        XCTAssertEqual(verify(0, p, q, accept: 0.49), .accepted(0))
        XCTAssertEqual(verify(0, p, q, accept: 0.51, residual: 0), .rejected(replacement: 1))
        XCTAssertEqual(verify(0, p, q, accept: 0.51, residual: 0.999_999), .rejected(replacement: 1))
    }

    /// A draft the target rules out is always rejected, and its replacement comes from where p exceeds q.
    func testDraftOutsideTheTargetSupportIsRejected() {
        let p = TokenDistribution(weights: [0, 1, 1, 2])
        let q = TokenDistribution(weights: [1, 1, 0, 0])
        XCTAssertEqual(verify(0, p, q, accept: 0), .rejected(replacement: 2))  // residual [0, 0, 0.25, 0.5] / 0.75
        XCTAssertEqual(verify(0, p, q, accept: 0, residual: 0.4), .rejected(replacement: 3))
    }

    private func verify(_ draft: Int, _ p: TokenDistribution, _ q: TokenDistribution, accept: Double,
                        residual: Double = 0) -> DraftVerdict {
        SpeculativeVerification.verify(draft: draft, target: p, draft: q, acceptUnit: accept, residualUnit: residual)
    }

    // MARK: A tiny synthetic model: Markov chains over 8 tokens

    private static let numTokens = 8
    /// targetLogits[previous] ([numTokens]): the next-token logits of the target model.
    private static let targetLogits = table(seed: 1) { 3 * $0 - 1.5 }
    /// A deliberately different draft: the target's logits plus noise in [-2, 2).
    private static let draftLogits = table(seed: 2) { 4 * $0 - 2 }.enumerated().map { row, noise in
        zip(targetLogits[row], noise).map(+)
    }

    /// Fixed pseudo-random numbers, `transform`ed from uniforms in [0, 1).
    private static func table(seed: UInt64, _ transform: (Double) -> Double) -> [[Float]] {
        (0..<numTokens).map { row in
            (0..<numTokens).map { column in
                Float(transform(RandomSource.unit(seed: seed, choiceIndex: row, position: column, stream: .sample)))
            }
        }
    }

    /// Speculative sampling reproduces the target's transition distribution exactly (temperature 1).
    func testRejectionSamplingMatchesTargetDistribution() {
        checkMatchesTarget(SamplingParams(temperature: 1, seed: 5))
    }

    /// The same with top-k and top-p warping both models (tokens outside the target's support never appear).
    func testRejectionSamplingMatchesFilteredTargetDistribution() {
        checkMatchesTarget(SamplingParams(temperature: 0.8, topP: 0.9, topK: 5, seed: 6))
    }

    /// With temperature 0 both models are greedy: the output is the target's greedy chain, drafts or not.
    func testGreedySpeculationIsGreedyDecoding() {
        let result = speculate(params: .greedy, numDrafts: 3, numTokens: 60)
        var previous = 0
        for token in result.tokens {
            let row = Self.targetLogits[previous]
            XCTAssertEqual(token, row.indices.max { row[$0] < row[$1] })
            previous = token
        }
    }

    /// Chi-square per previous token of the observed transition counts against the target's warped p(·|prev).
    /// Each row's bound is the chi-square quantile with false-failure probability 1e-6, so the two tests (8 rows
    /// each) fail by chance with probability < 2e-5; with fixed seeds they are deterministic anyway.
    private func checkMatchesTarget(_ params: SamplingParams, file: StaticString = #filePath, line: UInt = #line) {
        let result = speculate(params: params, numDrafts: 3, numTokens: 20000)
        // Both branches of the rule must be exercised for the test to mean anything.
        let acceptance = Double(result.numAccepted) / Double(result.numDrafted)
        XCTAssertGreaterThan(acceptance, 0.1, file: file, line: line)
        XCTAssertLessThan(acceptance, 0.9, file: file, line: line)

        let sampler = Sampler(params: params, promptTokens: [])
        var p = TokenDistribution()
        var maxStatistic = 0.0
        for previous in 0..<Self.numTokens {
            Self.targetLogits[previous].withUnsafeBufferPointer { sampler.distribution($0, into: &p) }
            let observed = result.counts[previous]
            let numVisits = Double(observed.reduce(0, +))
            var statistic = 0.0
            for token in 0..<Self.numTokens {
                let expected = numVisits * Double(p.probability(of: token))
                guard expected > 0 else {
                    XCTAssertEqual(observed[token], 0, "token \(token) after \(previous) is outside p", file: file, line: line)
                    continue
                }
                XCTAssertGreaterThan(expected, 5, "too few visits of \(previous) for chi-square", file: file, line: line)
                statistic += (Double(observed[token]) - expected) * (Double(observed[token]) - expected) / expected
            }
            let degreesOfFreedom = p.support.count - 1
            XCTAssertLessThan(statistic, Self.chiSquareBound[degreesOfFreedom],
                              "after token \(previous): χ² \(statistic), df \(degreesOfFreedom)", file: file, line: line)
            maxStatistic = max(maxStatistic, statistic / Double(degreesOfFreedom))
        }
        print("speculative \(params.topK > 0 ? "top-k/top-p" : "T=1"): acceptance \(acceptance),"
              + " \(result.tokens.count) tokens, largest χ²/df \(maxStatistic)")
    }

    /// χ² quantiles with upper-tail probability 1e-6, by degrees of freedom (scipy.stats.chi2.isf(1e-6, df)).
    private static let chiSquareBound: [Double] = [.infinity, 23.93, 27.63, 30.66, 33.38, 35.89, 38.26, 40.52]

    /// The speculative loop: draft k tokens from the draft chain, verify them row by row against the target
    /// chain with the rejection rule, and commit accepted drafts, the replacement, or the bonus token.
    private func speculate(params: SamplingParams, numDrafts k: Int, numTokens: Int)
        -> (tokens: [Int], counts: [[Int]], numDrafted: Int, numAccepted: Int) {
        var target = Sampler(params: params, promptTokens: [0])
        var drafter = Sampler(params: params, promptTokens: [0])
        var p = TokenDistribution()
        var q = [TokenDistribution](repeating: TokenDistribution(), count: k)
        var tokens: [Int] = []
        var counts = [[Int]](repeating: [Int](repeating: 0, count: Self.numTokens), count: Self.numTokens)
        var numDrafted = 0
        var numAccepted = 0
        var previous = 0  // the prompt's one token
        func commit(_ token: Int) {
            counts[previous][token] += 1
            tokens.append(token)
            target.accept(token)
            drafter.accept(token)
            previous = token
        }

        while tokens.count < numTokens {
            // Draft: d_i ~ q_i, each in the context of the committed tokens and the earlier drafts.
            let position = tokens.count  // output position of the first draft
            var drafts: [Int] = []
            var context = previous
            for i in 0..<k {
                Self.draftLogits[context].withUnsafeBufferPointer { drafter.distribution($0, into: &q[i]) }
                context = q[i].draw(unit: target.unit(position: position + i, stream: .draft))
                drafts.append(context)
            }
            numDrafted += k
            // Verify: row i is the target's p after the committed tokens, which end in drafts 0..<i.
            var allAccepted = true
            for i in 0..<k {
                Self.targetLogits[previous].withUnsafeBufferPointer { target.distribution($0, into: &p) }
                let verdict = target.verify(draft: drafts[i], target: p, draftDistribution: q[i], position: position + i)
                commit(verdict.token)
                guard case .accepted = verdict else {
                    allAccepted = false
                    break
                }
                numAccepted += 1
            }
            if allAccepted {
                let bonus = Self.targetLogits[previous].withUnsafeBufferPointer { target.sample($0, position: position + k) }
                commit(bonus.token)
            }
        }
        return (tokens, counts, numDrafted, numAccepted)
    }
}
