import Foundation
import XCTest
@testable import Model

final class SamplerTests: XCTestCase {
    private let logits: [Float] = [2.0, 1.0, 0.5, -1.0, 3.0, 0.0]  // argmax 4, then 0, 1, 2, 5, 3

    private func draws(_ params: SamplingParams, count: Int = 2000, prompt: [Int] = []) -> [Int] {
        var sampler = Sampler(params: params, promptTokens: prompt)
        return (0..<count).map { _ in logits.withUnsafeBufferPointer { sampler.sample($0).token } }
    }

    func testGreedyIsArgmax() {
        XCTAssertEqual(Set(draws(.greedy, count: 10)), [4])
        XCTAssertEqual(Set(draws(SamplingParams(temperature: 1, topK: 1))), [4])
        XCTAssertEqual(Set(draws(SamplingParams(temperature: 1, topP: 0.01))), [4])
    }

    func testSameSeedSameTokensDifferentSeedDifferentTokens() {
        let a = draws(SamplingParams(temperature: 1, seed: 7), count: 50)
        XCTAssertEqual(a, draws(SamplingParams(temperature: 1, seed: 7), count: 50))
        XCTAssertNotEqual(a, draws(SamplingParams(temperature: 1, seed: 8), count: 50))
    }

    /// Frequencies follow softmax(logits / T).
    func testFrequenciesFollowTheDistribution() {
        for temperature: Float in [1, 0.5] {
            let samples = draws(SamplingParams(temperature: temperature, seed: 1), count: 20000)
            let weights = logits.map { exp(Double($0 / temperature)) }
            let total = weights.reduce(0, +)
            for token in logits.indices {
                let observed = Double(samples.filter { $0 == token }.count) / Double(samples.count)
                XCTAssertEqual(observed, weights[token] / total, accuracy: 0.015, "token \(token) at T=\(temperature)")
            }
        }
    }

    func testTopKTopPAndMinPKeepOnlyTheMostLikely() {
        XCTAssertEqual(Set(draws(SamplingParams(temperature: 1, topK: 2, seed: 3))), [4, 0])
        // p(4) ≈ 0.60, p(0) ≈ 0.22: nucleus 0.7 holds exactly those two.
        XCTAssertEqual(Set(draws(SamplingParams(temperature: 1, topP: 0.7, seed: 3))), [4, 0])
        // min-p 0.3: keeps tokens with p ≥ 0.3 · p(4): logits ≥ 3 + ln 0.3 ≈ 1.80.
        XCTAssertEqual(Set(draws(SamplingParams(temperature: 1, minP: 0.3, seed: 3))), [4, 0])
        XCTAssertEqual(Set(draws(SamplingParams(temperature: 1, seed: 3))), Set(0..<6))
    }

    func testPenalties() {
        // Frequency penalty 2 per occurrence: after token 4 once, 4 (3 - 2 = 1) loses to 0 (2).
        var sampler = Sampler(params: SamplingParams(temperature: 0, frequencyPenalty: 2), promptTokens: [])
        XCTAssertEqual(logits.withUnsafeBufferPointer { sampler.sample($0).token }, 4)
        XCTAssertEqual(logits.withUnsafeBufferPointer { sampler.sample($0).token }, 0)
        // Repetition penalty 2 on prompt token 4: 3 / 2 = 1.5 < 2.
        var repeated = Sampler(params: SamplingParams(temperature: 0, repetitionPenalty: 2), promptTokens: [4])
        XCTAssertEqual(logits.withUnsafeBufferPointer { repeated.sample($0).token }, 0)
        // Presence penalty applies once however often: 4 → 3 - 1.5 = 1.5 < 2.
        var present = Sampler(params: SamplingParams(temperature: 0, presencePenalty: 1.5), promptTokens: [])
        XCTAssertEqual([0, 1].map { _ in logits.withUnsafeBufferPointer { present.sample($0).token } }, [4, 0])
    }

    func testLogprobsAreLogSoftmaxOfRawLogits() throws {
        var sampler = Sampler(params: SamplingParams(temperature: 0, repetitionPenalty: 5, numTopLogprobs: 3), promptTokens: [4])
        let sampled = logits.withUnsafeBufferPointer { sampler.sample($0) }
        let logZ = log(logits.map { exp(Double($0)) }.reduce(0, +))
        XCTAssertEqual(sampled.token, 0)
        XCTAssertEqual(Double(try XCTUnwrap(sampled.logprob)), 2.0 - logZ, accuracy: 1e-5)
        XCTAssertEqual(sampled.topLogprobs.map(\.token), [4, 0, 1])
        XCTAssertEqual(Double(sampled.topLogprobs[0].logprob), 3.0 - logZ, accuracy: 1e-5)
    }
}
