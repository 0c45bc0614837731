import Foundation
import XCTest
@testable import Model

final class TokenDistributionTests: XCTestCase {
    private let logits: [Float] = [2.0, 1.0, 0.5, -1.0, 3.0, 0.0]  // argmax 4, then 0, 1, 2, 5, 3

    private func warped(_ params: SamplingParams, _ values: [Float]? = nil) -> TokenDistribution {
        var distribution = TokenDistribution()
        let sampler = Sampler(params: params, promptTokens: [])
        (values ?? logits).withUnsafeBufferPointer { sampler.distribution($0, into: &distribution) }
        return distribution
    }

    func testGreedyIsAllMassOnTheLowestArgmax() {
        let greedy = warped(.greedy, [1, 3, 3, 0])
        XCTAssertEqual(greedy.support, [1])
        XCTAssertEqual(greedy.probabilities, [0, 1, 0, 0])
        XCTAssertEqual(greedy.draw(unit: 0.99), 1)
    }

    func testUnfilteredIsSoftmaxOverEveryToken() {
        let distribution = warped(SamplingParams(temperature: 0.5))
        XCTAssertEqual(distribution.support, Array(0..<6))
        let weights = logits.map { exp(Double($0) / 0.5) }
        for token in logits.indices {
            XCTAssertEqual(Double(distribution.probability(of: token)), weights[token] / weights.reduce(0, +), accuracy: 1e-6)
        }
        XCTAssertEqual(distribution.probability(of: 6), 0)
    }

    func testFiltersLeaveANormalizedSortedSupport() {
        let topK = warped(SamplingParams(temperature: 1, topK: 2))
        XCTAssertEqual(topK.support, [4, 0])
        XCTAssertEqual(Double(topK.probability(of: 4)), 1 / (1 + exp(-1)), accuracy: 1e-6)
        XCTAssertEqual(topK.probabilities.reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertEqual(topK.probabilities.indices.filter { topK.probabilities[$0] > 0 }, [0, 4])
        XCTAssertEqual(warped(SamplingParams(temperature: 1, topP: 0.7)).support, [4, 0])
        XCTAssertEqual(warped(SamplingParams(temperature: 1, topP: 0.9)).support, [4, 0, 1])
        XCTAssertEqual(warped(SamplingParams(temperature: 1, minP: 0.3)).support, [0, 4])
    }

    func testDrawIsTheInverseCDFOverTheSupport() {
        let distribution = TokenDistribution(weights: [0, 1, 3, 0])
        XCTAssertEqual(distribution.support, [1, 2])
        XCTAssertEqual([0, 0.2, 0.3, 0.999_999].map { distribution.draw(unit: $0) }, [1, 1, 2, 2])
    }

    /// Refilling for the same vocabulary keeps both buffers: warping a step allocates nothing.
    func testRefillingReusesStorage() {
        var distribution = TokenDistribution()
        let sampler = Sampler(params: SamplingParams(temperature: 1), promptTokens: [])
        logits.withUnsafeBufferPointer { sampler.distribution($0, into: &distribution) }
        let addresses = (distribution.probabilities.withUnsafeBufferPointer { $0.baseAddress },
                         distribution.support.withUnsafeBufferPointer { $0.baseAddress })
        let other: [Float] = [0, 0, 0, 5, 0, 1]
        other.withUnsafeBufferPointer { sampler.distribution($0, into: &distribution) }
        XCTAssertEqual(distribution.probabilities.withUnsafeBufferPointer { $0.baseAddress }, addresses.0)
        XCTAssertEqual(distribution.support.withUnsafeBufferPointer { $0.baseAddress }, addresses.1)
        XCTAssertEqual(distribution.draw(unit: 0.5), 3)
    }
}
