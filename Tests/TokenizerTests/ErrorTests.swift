import Foundation
import XCTest
@testable import Tokenizer

final class ErrorTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func write(_ name: String, _ contents: String) throws {
        try contents.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// A tiny valid tokenizer.json: bytes a, b and the merge "a b".
    let tinyTokenizer = """
    {"added_tokens": [{"id": 3, "content": "<eos>", "special": true}],
     "normalizer": null,
     "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
     "post_processor": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"},
     "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}}
    """

    func testMissingFile() {
        XCTAssertThrowsError(try Tokenizer(directory: directory)) { error in
            XCTAssertEqual(error as? TokenizerError, .missingFile(directory.appendingPathComponent("tokenizer.json").path))
        }
    }

    func testMalformedJSON() throws {
        try write("tokenizer.json", "{ not json")
        try write("tokenizer_config.json", "{}")
        XCTAssertThrowsError(try Tokenizer(directory: directory)) { error in
            guard case TokenizerError.invalidFile(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("tokenizer.json"))
        }
    }

    func testWrongFieldTypeNamesTheField() throws {
        try write("tokenizer.json", #"{"model": {"vocab": {"a": "zero"}, "merges": []}}"#)
        try write("tokenizer_config.json", "{}")
        XCTAssertThrowsError(try Tokenizer(directory: directory)) { error in
            guard case TokenizerError.invalidFile(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("model.vocab"), reason)
        }
    }

    func testUnsupportedPreTokenizerIsTyped() throws {
        try write("tokenizer.json", #"{"pre_tokenizer": {"type": "Metaspace"}, "model": {"vocab": {"a": 0}, "merges": []}}"#)
        try write("tokenizer_config.json", "{}")
        XCTAssertThrowsError(try Tokenizer(directory: directory)) { error in
            guard case TokenizerError.invalidFile(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("Metaspace"), reason)
        }
    }

    func testTinyTokenizerWorksAndBadTemplateIsTemplateError() throws {
        try write("tokenizer.json", tinyTokenizer)
        try write("tokenizer_config.json", #"{"eos_token": "<eos>", "add_eos_token": true, "chat_template": "{{ raise_exception('nope') }}"}"#)
        let tokenizer = try Tokenizer(directory: directory)
        XCTAssertEqual(tokenizer.vocabularySize, 4)
        XCTAssertEqual(tokenizer.eosTokenId, 3)
        XCTAssertEqual(tokenizer.encode("abba<eos>"), [2, 1, 0, 3, 3])
        XCTAssertEqual(tokenizer.encode("ab", addSpecialTokens: false), [2])
        XCTAssertEqual(tokenizer.decode([2, 3, 1]), "ab<eos>b")
        XCTAssertEqual(tokenizer.decode([2, 3, 1], skipSpecialTokens: true), "abb")
        XCTAssertThrowsError(try tokenizer.applyChatTemplate([ChatMessage(role: "user", content: "hi")], addGenerationPrompt: true)) { error in
            XCTAssertEqual(error as? TokenizerError, .templateError("nope"))
        }
    }

    func testUnparsableTemplateFailsAtLoad() throws {
        try write("tokenizer.json", tinyTokenizer)
        try write("tokenizer_config.json", #"{"chat_template": "{% for x in %}"}"#)
        XCTAssertThrowsError(try Tokenizer(directory: directory)) { error in
            guard case TokenizerError.invalidFile(let path, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("tokenizer_config.json"))
            XCTAssertTrue(reason.contains("chat_template"), reason)
        }
    }
}
