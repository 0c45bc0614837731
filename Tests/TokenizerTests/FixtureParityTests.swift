import XCTest
@testable import Tokenizer

/// Golden outputs from Hugging Face `tokenizers`/`transformers` (scripts/make_tokenizer_fixtures.py).
final class FixtureParityTests: XCTestCase {
    struct IdsCase: Decodable {
        var text: String
        var ids: [Int]
        var ids_no_special: [Int]
        var decoded: String
        var decoded_skip_special: String
    }

    struct ChatCase: Decodable {
        var messages: [ChatMessage]
        var add_generation_prompt: Bool
        var rendered: String
    }

    func testEncodeMatchesReference() throws {
        let tokenizer = try loadRealTokenizer()
        let cases = try loadFixture([IdsCase].self, "tokenizer_ids.json")
        XCTAssertGreaterThanOrEqual(cases.count, 200)
        for testCase in cases {
            XCTAssertEqual(tokenizer.encode(testCase.text), testCase.ids, "encode \(testCase.text.debugDescription)")
            XCTAssertEqual(tokenizer.encode(testCase.text, addSpecialTokens: false), testCase.ids_no_special,
                           "encode(addSpecialTokens: false) \(testCase.text.debugDescription)")
        }
    }

    func testDecodeMatchesReference() throws {
        let tokenizer = try loadRealTokenizer()
        for testCase in try loadFixture([IdsCase].self, "tokenizer_ids.json") {
            XCTAssertEqual(tokenizer.decode(testCase.ids), testCase.decoded, "decode \(testCase.ids)")
            XCTAssertEqual(tokenizer.decode(testCase.ids, skipSpecialTokens: true), testCase.decoded_skip_special,
                           "decode(skipSpecialTokens: true) \(testCase.ids)")
        }
    }

    func testChatTemplateMatchesTransformers() throws {
        let tokenizer = try loadRealTokenizer()
        let cases = try loadFixture([ChatCase].self, "tokenizer_chat.json")
        for testCase in cases {
            let rendered = try tokenizer.applyChatTemplate(testCase.messages, addGenerationPrompt: testCase.add_generation_prompt)
            XCTAssertEqual(rendered, testCase.rendered, "\(testCase.messages) add_generation_prompt=\(testCase.add_generation_prompt)")
        }
    }

    func testSpecialTokenIds() throws {
        let tokenizer = try loadRealTokenizer()
        XCTAssertEqual(tokenizer.vocabularySize, 49152)
        XCTAssertEqual(tokenizer.bosTokenId, 1)
        XCTAssertEqual(tokenizer.eosTokenId, 2)
        XCTAssertEqual(tokenizer.tokenToId("<|im_end|>"), 2)
        XCTAssertEqual(tokenizer.idToToken(0), "<|endoftext|>")
        XCTAssertTrue(tokenizer.specialTokenIds.isSuperset(of: [0, 1, 2]))
        XCTAssertNil(tokenizer.idToToken(49152))
        XCTAssertEqual(tokenizer.decode([-1, 49152, 1_000_000]), "", "out-of-range ids are skipped")
    }
}
