import Foundation
import XCTest
@testable import Model

final class SamplerTests: XCTestCase {
    private let logits: [Float] = [2.0, 1.0, 0.5, -1.0, 3.0, 0.0]  // argmax 4, then 0, 1, 2, 5, 3

    private func draws(_ params: SamplingParams, count: Int = 2000, prompt: [Int] = []) -> [Int] {
        var sampler = Sampler(params: params, promptTokens: prompt)
        return (0..<count).map { sample(&sampler, position: $0).token }
    }

    /// Samples output position `position` and accepts the token, as decoding without drafts does.
    private func sample(_ sampler: inout Sampler, position: Int) -> SampledToken {
        let sampled = logits.withUnsafeBufferPointer { sampler.sample($0, position: position) }
        sampler.accept(sampled.token)
        return sampled
    }

    func testGreedyIsArgmax() {
        XCTAssertEqual(Set(draws(.greedy, count: 10)), [4])
        XCTAssertEqual(Set(draws(SamplingParams(temperature: 1, topK: 1))), [4])
        XCTAssertEqual(Set(draws(SamplingParams(temperature: 1, topP: 0.01))), [4])
    }

    /// logit_bias is added to the logits: -100 removes the argmax from greedy picks, +100 forces a token, and a
    /// bias shifts sampled frequencies exactly as softmax(logits + bias) says.
    func testLogitBias() {
        XCTAssertEqual(Set(draws(SamplingParams(temperature: 0, logitBias: [4: -100]), count: 10)), [0])
        XCTAssertEqual(Set(draws(SamplingParams(temperature: 0, logitBias: [3: 100]), count: 10)), [3])
        XCTAssertEqual(Set(draws(SamplingParams(temperature: 1, seed: 3, logitBias: [3: 100]), count: 200)), [3])
        let samples = draws(SamplingParams(temperature: 1, seed: 2, logitBias: [2: 2.5]), count: 20000)
        let weights = logits.enumerated().map { exp(Double($1 + ($0 == 2 ? 2.5 : 0))) }
        let share = Double(samples.filter { $0 == 2 }.count) / Double(samples.count)
        XCTAssertEqual(share, weights[2] / weights.reduce(0, +), accuracy: 0.015)
        // Reported logprobs stay the model's own.
        var sampler = Sampler(params: SamplingParams(temperature: 0, numTopLogprobs: 1, logitBias: [3: 100]), promptTokens: [])
        let sampled = sample(&sampler, position: 0)
        XCTAssertEqual(sampled.token, 3)
        XCTAssertEqual(sampled.topLogprobs.first?.token, 4)
    }

    /// A bitset of allowed tokens: greedy takes the best allowed token, sampling renormalizes over the allowed
    /// ones, and a disallowed token never comes out whatever its bias.
    func testAllowedTokensRestrictTheDistribution() {
        let allowed: [UInt64] = [(1 << 1) | (1 << 2) | (1 << 5)]
        func draws(_ params: SamplingParams, count: Int) -> [Int] {
            var sampler = Sampler(params: params, promptTokens: [])
            return (0..<count).map { position in
                logits.withUnsafeBufferPointer { logits in
                    allowed.withUnsafeBufferPointer { sampler.sample(logits, position: position, allowedTokens: $0).token }
                }
            }
        }
        XCTAssertEqual(Set(draws(.greedy, count: 5)), [1])
        XCTAssertEqual(Set(draws(SamplingParams(temperature: 0, logitBias: [4: 100]), count: 5)), [1])
        let samples = draws(SamplingParams(temperature: 1, seed: 5), count: 20000)
        XCTAssertEqual(Set(samples), [1, 2, 5])
        let weights = [1, 2, 5].map { exp(Double(logits[$0])) }
        XCTAssertEqual(Double(samples.filter { $0 == 2 }.count) / 20000, weights[1] / weights.reduce(0, +), accuracy: 0.015)
    }

    /// Every value the API accepts gives a sane result, at the edges of each range (issue 13): a temperature so small
    /// that 1/T overflows is greedy; a repetition penalty so small that a seen logit overflows picks that token as
    /// its limit does; the smallest top-p keeps the argmax; the largest penalties and biases still give tokens of the
    /// vocabulary drawn from a finite distribution.
    func testSamplingParametersAtTheEdgesOfTheirRanges() {
        let tiny = Float.leastNonzeroMagnitude
        for temperature in [tiny, Float.leastNormalMagnitude, 1e-30, 1e-6] {
            XCTAssertEqual(Set(draws(SamplingParams(temperature: temperature, seed: 1), count: 50)), [4], "T=\(temperature)")
        }
        XCTAssertEqual(Set(draws(SamplingParams(temperature: 1, topP: tiny, seed: 1), count: 50)), [4])
        XCTAssertEqual(Set(draws(SamplingParams(temperature: 1, minP: 1, seed: 1), count: 50)), [4])
        XCTAssertEqual(Set(draws(SamplingParams(temperature: 1, topK: 1, seed: 1), count: 50)), [4])
        XCTAssertEqual(Set(draws(SamplingParams(temperature: 2, topK: Int.max, seed: 1), count: 3000)), Set(logits.indices))
        // Token 1 was seen: dividing its positive logit by the tiniest penalty overflows to +inf, the limit of an
        // ever stronger preference for it.
        for temperature: Float in [0, 1, 2] {
            let params = SamplingParams(temperature: temperature, repetitionPenalty: tiny, seed: 1)
            XCTAssertEqual(Set(draws(params, count: 50, prompt: [1])), [1], "T=\(temperature)")
        }
        // The strongest discouragement still leaves a distribution over real tokens.
        let discouraged = draws(SamplingParams(temperature: 2, repetitionPenalty: 100, seed: 1), count: 500, prompt: [4, 0])
        XCTAssertTrue(discouraged.allSatisfy { logits.indices.contains($0) })
        XCTAssertTrue(Set(discouraged).isSuperset(of: [1, 2]))
        for penalty: Float in [-2, 2] {
            let params = SamplingParams(temperature: 2, presencePenalty: penalty, frequencyPenalty: penalty, seed: 1)
            XCTAssertTrue(draws(params, count: 2000).allSatisfy { logits.indices.contains($0) })
        }
        let biased = SamplingParams(temperature: 2, seed: 1, logitBias: [0: -100, 1: 100, 2: 100, 3: -100])
        XCTAssertEqual(Set(draws(biased, count: 500)), [1, 2])
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
        XCTAssertEqual(sample(&sampler, position: 0).token, 4)
        XCTAssertEqual(sample(&sampler, position: 1).token, 0)
        // Repetition penalty 2 on prompt token 4: 3 / 2 = 1.5 < 2.
        var repeated = Sampler(params: SamplingParams(temperature: 0, repetitionPenalty: 2), promptTokens: [4])
        XCTAssertEqual(sample(&repeated, position: 0).token, 0)
        // Presence penalty applies once however often: 4 → 3 - 1.5 = 1.5 < 2.
        var present = Sampler(params: SamplingParams(temperature: 0, presencePenalty: 1.5), promptTokens: [])
        XCTAssertEqual((0..<2).map { sample(&present, position: $0).token }, [4, 0])
    }

    /// Penalties count only accepted tokens: a sampled but unaccepted token (a rejected draft) leaves no trace.
    func testPenaltiesApplyAfterAccept() {
        var sampler = Sampler(params: SamplingParams(temperature: 0, frequencyPenalty: 2), promptTokens: [])
        XCTAssertEqual(logits.withUnsafeBufferPointer { sampler.sample($0, position: 0).token }, 4)
        XCTAssertEqual(logits.withUnsafeBufferPointer { sampler.sample($0, position: 0).token }, 4)
        sampler.accept(4)
        XCTAssertEqual(logits.withUnsafeBufferPointer { sampler.sample($0, position: 1).token }, 0)
        // The distribution sees the same penalties: 4 and 0 now have logits 1 and 2.
        var warped = TokenDistribution()
        var hot = Sampler(params: SamplingParams(temperature: 1, frequencyPenalty: 2), promptTokens: [])
        hot.accept(4)
        logits.withUnsafeBufferPointer { hot.distribution($0, into: &warped) }
        XCTAssertEqual(Double(warped.probability(of: 0) / warped.probability(of: 4)), exp(1), accuracy: 1e-4)
    }

    /// A draw is a function of (seed, choice index, output position) only: sampling positions in another order,
    /// or trying drafts at a position first, does not change any position's token.
    func testDrawDependsOnlyOnSeedChoiceAndPosition() {
        let params = SamplingParams(temperature: 1, seed: 11)
        var inOrder = Sampler(params: params, promptTokens: [])
        let forward = (0..<50).map { sample(&inOrder, position: $0).token }
        var shuffled = Sampler(params: params, promptTokens: [])
        var backward = [Int](repeating: -1, count: 50)
        for position in (0..<50).reversed() {
            for _ in 0..<3 { _ = logits.withUnsafeBufferPointer { shuffled.sample($0, position: position) } }
            backward[position] = sample(&shuffled, position: position).token
        }
        XCTAssertEqual(forward, backward)
        XCTAssertEqual(inOrder.unit(position: 5, stream: .sample),
                       RandomSource.unit(seed: 11, choiceIndex: 0, position: 5, stream: .sample))

        let otherChoice = draws(SamplingParams(temperature: 1, seed: 11, choiceIndex: 1), count: 50)
        XCTAssertNotEqual(forward, otherChoice)
        let streams = DrawStream.allCases.map { inOrder.unit(position: 5, stream: $0) }
        XCTAssertEqual(Set(streams).count, streams.count)
    }

    /// Pinned values: the same key gives the same draw on every platform and in every release.
    func testKeyedUnitLiteralValues() {
        XCTAssertEqual(RandomSource.hash(seed: 0, choiceIndex: 0, position: 0, stream: .sample), 0x99D3_CEA6_54ED_AABC)
        XCTAssertEqual(RandomSource.unit(seed: 42, choiceIndex: 1, position: 7, stream: .accept), 0.27260676637855485)
        // Roughly uniform: the mean of 10,000 positions is 0.5 ± 0.0029 (1 σ).
        let mean = (0..<10000).map { RandomSource.unit(seed: 3, choiceIndex: 0, position: $0, stream: .sample) }
            .reduce(0, +) / 10000
        XCTAssertEqual(mean, 0.5, accuracy: 0.015)
    }

    func testLogprobsAreLogSoftmaxOfRawLogits() throws {
        var sampler = Sampler(params: SamplingParams(temperature: 0, repetitionPenalty: 5, numTopLogprobs: 3), promptTokens: [4])
        let sampled = logits.withUnsafeBufferPointer { sampler.sample($0, position: 0) }
        let logZ = log(logits.map { exp(Double($0)) }.reduce(0, +))
        XCTAssertEqual(sampled.token, 0)
        XCTAssertEqual(Double(try XCTUnwrap(sampled.logprob)), 2.0 - logZ, accuracy: 1e-5)
        XCTAssertEqual(sampled.topLogprobs.map(\.token), [4, 0, 1])
        XCTAssertEqual(Double(sampled.topLogprobs[0].logprob), 3.0 - logZ, accuracy: 1e-5)
    }
}
