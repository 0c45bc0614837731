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

    /// Every position's logits of the tiny random model, and its greedy continuations.
    func testTinyModelMatchesTransformers() throws {
        let model = try SharedModels.tiny.get()
        let reference = try loadJSON(TinyReference.self, "tiny_reference.json")
        XCTAssertFalse(reference.sequences.isEmpty)
        for (index, testCase) in reference.sequences.enumerated() {
            let ids = testCase.input_ids
            let runner = ModelRunner(model: model, numBlocks: (ids.count + 15) / 16 + 1)
            try runner.forward(ForwardBatch([ScheduledChunk(tokens: ids, numCachedTokens: 0, blockTable: Array(0..<runner.cache.numBlocks),
                                                           logitIndices: Array(0..<ids.count))]))
            var worst: Float = 0
            for position in 0..<ids.count {
                runner.withLogits(row: position) { logits in
                    for (a, b) in zip(logits, testCase.logits[position]) { worst = max(worst, abs(a - b)) }
                }
            }
            XCTAssertLessThan(worst, 1e-4, "case \(index): max |logit diff| \(worst)")
            let generation = try generateGreedy(model: model, prompt: ids, maxNewTokens: testCase.greedy_ids.count, stopTokenIds: [])
            XCTAssertEqual(generation.tokens, testCase.greedy_ids, "case \(index)")
        }
    }

    /// Greedy continuations of SmolLM2-135M-Instruct equal transformers token for token.
    func testSmolGreedyMatchesTransformers() throws {
        let model = try SharedModels.smol.get()
        let reference = try loadJSON(SmolGreedy.self, "smol_greedy.json")
        XCTAssertGreaterThanOrEqual(reference.prompts.count, 12)
        var matches = 0
        for prompt in reference.prompts {
            let generation = try generateGreedy(model: model, prompt: prompt.prompt_ids, maxNewTokens: prompt.greedy_ids.count, stopTokenIds: [])
            XCTAssertEqual(generation.tokens, prompt.greedy_ids, "\(prompt.name) (min top-2 margin \(prompt.min_margin ?? .nan))")
            if generation.tokens == prompt.greedy_ids { matches += 1 }
        }
        print("smol greedy parity: \(matches)/\(reference.prompts.count) prompts identical")
    }

    /// Full-vocabulary logits within 1e-3 of transformers at the recorded positions.
    func testSmolLogitsWithinTolerance() throws {
        let model = try SharedModels.smol.get()
        let index = try loadJSON(SmolLogits.self, "smol_logits.json")
        let data = try Data(contentsOf: Paths.fixtures.appendingPathComponent("smol_logits.bin"))
        let expectedAll = data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        var worst: Float = 0
        for entry in index.entries {
            let ids = Array(entry.prompt_ids[0...entry.position])
            let runner = ModelRunner(model: model, numBlocks: ids.count / 16 + 1)
            try runner.forward(ForwardBatch([ScheduledChunk(tokens: ids, numCachedTokens: 0, blockTable: Array(0..<runner.cache.numBlocks),
                                                           logitIndices: [ids.count - 1])]))
            let expected = expectedAll[entry.offset_floats..<entry.offset_floats + index.vocab_size]
            let difference = runner.withLogits(row: 0) { zip($0, expected).map { abs($0 - $1) }.max()! }
            worst = max(worst, difference)
            XCTAssertLessThanOrEqual(difference, 1e-3, "position \(entry.position)")
        }
        print("smol logits: max |difference| vs transformers = \(worst)")
    }
}
