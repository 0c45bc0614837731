import Scheduler
import Foundation
import XCTest
@testable import Model

/// Parity with Hugging Face transformers (float32, eager attention) on fixtures made by
/// scripts/make_tiny_model.py and scripts/make_model_fixtures.py.
final class ReferenceParityTests: XCTestCase {
    struct TinyReference: Decodable {
        struct Case: Decodable {
            var input_ids: [Int]
            var logits: [[Float]]
            var greedy_ids: [Int]
        }
        var sequences: [Case]
    }

    struct SmolGreedy: Decodable {
        struct Prompt: Decodable {
            var name: String
            var prompt_ids: [Int]
            var greedy_ids: [Int]
            var min_margin: Double?
        }
        var prompts: [Prompt]
    }

    struct SmolLogits: Decodable {
        struct Entry: Decodable {
            var prompt_ids: [Int]
            var position: Int
            var offset_floats: Int
        }
        var vocab_size: Int
        var entries: [Entry]
    }

    /// Every position's logits of the tiny random model, and its greedy continuations, on every kernel path
    /// (its f32 weights go through BLAS; the paths differ in attention).
    func testTinyModelMatchesTransformers() throws {
        let model = try SharedModels.tiny.get()
        let reference = try loadJSON(TinyReference.self, "tiny_reference.json")
        XCTAssertFalse(reference.sequences.isEmpty)
        for path in KernelPath.testedPaths() {
            for (index, testCase) in reference.sequences.enumerated() {
                let ids = testCase.input_ids
                let runner = ModelRunner(model: model, numBlocks: (ids.count + 15) / 16 + 1, kernelPath: path)
                try runner.forward(ForwardBatch([ScheduledChunk(tokens: ids, numCachedTokens: 0, blockTable: Array(0..<runner.cache.numBlocks),
                                                               logitIndices: Array(0..<ids.count))]))
                var worst: Float = 0
                for position in 0..<ids.count {
                    runner.withLogits(row: position) { logits in
                        for (a, b) in zip(logits, testCase.logits[position]) { worst = max(worst, abs(a - b)) }
                    }
                }
                XCTAssertLessThan(worst, 1e-4, "\(path.rawValue) case \(index): max |logit diff| \(worst)")
                let generation = try generateGreedy(model: model, prompt: ids, maxNewTokens: testCase.greedy_ids.count, stopTokenIds: [], kernelPath: path)
                XCTAssertEqual(generation.tokens, testCase.greedy_ids, "\(path.rawValue) case \(index)")
            }
        }
    }

    /// Greedy continuations of SmolLM2-135M-Instruct equal transformers token for token, on every kernel path that
    /// keeps f32 activations (avx512-bf16 has its own test below).
    func testSmolGreedyMatchesTransformers() throws {
        for path in KernelPath.testedPaths(excluding: [.avx512BF16]) {
            let (matches, total) = try smolGreedyMatches(path: path, assertEqual: true)
            print("smol greedy parity (\(path.rawValue)): \(matches)/\(total) prompts identical")
        }
    }

    /// Full-vocabulary logits within 1e-3 of transformers at the recorded positions, on every f32-activation path.
    func testSmolLogitsWithinTolerance() throws {
        for path in KernelPath.testedPaths(excluding: [.avx512BF16]) {
            let worst = try smolLogitsDifferences(path: path).max()!
            XCTAssertLessThanOrEqual(worst, 1e-3, path.rawValue)
            print("smol logits (\(path.rawValue)): max |difference| vs transformers = \(worst)")
        }
    }

    /// avx512-bf16 rounds every activation entering a matrix product to bf16 (8 significant bits), so its logits
    /// are not within 1e-3 of transformers' f32 and a near-tie can flip a greedy token. Bounds set from measurement
    /// with headroom (logits span about ±30 here): it still has to be the same model, not merely run.
    func testSmolBF16ActivationsStayClose() throws {
        guard KernelPath.avx512BF16.isSupported else {
            print("note: kernel path avx512-bf16 not tested: this CPU lacks its instructions")
            return
        }
        let differences = try smolLogitsDifferences(path: .avx512BF16)
        let (matches, total) = try smolGreedyMatches(path: .avx512BF16, assertEqual: false)
        let mean = differences.reduce(0, +) / Float(differences.count)
        print("smol avx512-bf16: max |logit difference| vs transformers = \(differences.max()!), mean over positions of the max = \(mean); greedy \(matches)/\(total) prompts identical")
        XCTAssertLessThan(differences.max()!, 0.5)
        XCTAssertGreaterThanOrEqual(matches * 4, total * 3)
    }

    /// An f16 KV cache rounds every cached key and value to 11 significant bits (relative error ≤ 2⁻¹¹ ≈ 4.9e-4),
    /// which moves logits (spanning about ±30 here) by a few hundredths after 30 layers: measured at most 0.025, so
    /// not within the default's 1e-3, hence opt-in. The bound, 0.1, is 4× that: a conversion that rounds wrongly
    /// or reads the wrong element gives errors of whole units. Greedy output must stay the same model's (measured 17/17
    /// identical; at least 16 of 17 allows one near-tie to flip). Every f32-activation path: all hold the same halves.
    func testSmolF16KVCacheStaysClose() throws {
        for path in KernelPath.testedPaths(excluding: [.avx512BF16]) {
            let differences = try smolLogitsDifferences(path: path, kvCacheDType: .f16)
            let exact = try smolLogitsDifferences(path: path)
            let (matches, total) = try smolGreedyMatches(path: path, kvCacheDType: .f16, assertEqual: false)
            print("smol f16 KV cache (\(path.rawValue)): max |logit difference| vs transformers = \(differences.max()!) (f32 cache: \(exact.max()!)); greedy \(matches)/\(total) prompts identical")
            XCTAssertLessThan(differences.max()!, 0.1, path.rawValue)
            // The cache really holds halves: an f32 cache gives other logits.
            XCTAssertNotEqual(differences, exact, path.rawValue)
            XCTAssertGreaterThanOrEqual(matches, total - 1, path.rawValue)
        }
    }

    private func smolGreedyMatches(path: KernelPath, kvCacheDType: KVCacheDType = .f32, assertEqual: Bool) throws -> (matches: Int, total: Int) {
        let model = try SharedModels.smol.get()
        let reference = try loadJSON(SmolGreedy.self, "smol_greedy.json")
        XCTAssertGreaterThanOrEqual(reference.prompts.count, 12)
        var matches = 0
        for prompt in reference.prompts {
            let generation = try generateGreedy(model: model, prompt: prompt.prompt_ids, maxNewTokens: prompt.greedy_ids.count, stopTokenIds: [],
                                                kvCacheDType: kvCacheDType, kernelPath: path)
            if assertEqual {
                XCTAssertEqual(generation.tokens, prompt.greedy_ids, "\(path.rawValue): \(prompt.name) (min top-2 margin \(prompt.min_margin ?? .nan))")
            }
            if generation.tokens == prompt.greedy_ids { matches += 1 }
        }
        return (matches, reference.prompts.count)
    }

    /// For each recorded position, the largest |logit − transformers' logit| over the vocabulary.
    private func smolLogitsDifferences(path: KernelPath, kvCacheDType: KVCacheDType = .f32) throws -> [Float] {
        let model = try SharedModels.smol.get()
        let index = try loadJSON(SmolLogits.self, "smol_logits.json")
        let data = try Data(contentsOf: Paths.fixtures.appendingPathComponent("smol_logits.bin"))
        let expectedAll = data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        return try index.entries.map { entry in
            let ids = Array(entry.prompt_ids[0...entry.position])
            let runner = ModelRunner(model: model, numBlocks: ids.count / 16 + 1, kvCacheDType: kvCacheDType, kernelPath: path)
            try runner.forward(ForwardBatch([ScheduledChunk(tokens: ids, numCachedTokens: 0, blockTable: Array(0..<runner.cache.numBlocks),
                                                           logitIndices: [ids.count - 1])]))
            let expected = expectedAll[entry.offset_floats..<entry.offset_floats + index.vocab_size]
            return runner.withLogits(row: 0) { zip($0, expected).map { abs($0 - $1) }.max()! }
        }
    }
}
