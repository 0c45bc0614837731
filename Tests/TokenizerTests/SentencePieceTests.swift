import Foundation
import XCTest
@testable import Tokenizer

/// Parity with Debian's spm_encode / spm_decode on a small BPE model with byte fallback
/// (Tests/Fixtures/spm, made by scripts/make_spm_fixtures.sh).
final class SentencePieceTests: XCTestCase {
    struct Fixture: Decodable {
        struct Case: Decodable {
            var text: String
            var ids: [Int]
            var decoded: String
        }
        var cases: [Case]
    }

    static let spmDirectory = fixturesDirectory.appendingPathComponent("spm")
    static let llamaDirectory = fixturesDirectory.appendingPathComponent("spm-llama")

    /// A directory holding only tokenizer.model, so the backend is chosen from the files present.
    private func bareDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.spmDirectory.appendingPathComponent("tokenizer.model"),
                                         to: directory.appendingPathComponent("tokenizer.model"))
        return directory
    }

    private func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Self.spmDirectory.appendingPathComponent("spm_ids.json")))
    }

    func testIdsMatchSpmEncodeAndDecodeMatchesSpmDecode() throws {
        let tokenizer = try Tokenizer(directory: try bareDirectory())
        // Control pieces spelled in the text ("<s>") are special tokens for us, as in Hugging Face, but plain
        // text to spm_encode: those strings are covered by testBosEosAndSpecialTokensFromTokenizerConfig.
        let cases = try fixture().cases.filter { !$0.text.contains("<s>") && !$0.text.contains("</s>") }
        XCTAssertGreaterThanOrEqual(cases.count, 200)
        var idMatches = 0, decodeMatches = 0
        for testCase in cases {
            let ids = tokenizer.encode(testCase.text, addSpecialTokens: false)
            XCTAssertEqual(ids, testCase.ids, "ids of \(testCase.text.debugDescription)")
            if ids == testCase.ids { idMatches += 1 }
            let decoded = tokenizer.decode(testCase.ids)
            XCTAssertEqual(decoded, testCase.decoded, "decode of \(testCase.text.debugDescription)")
            if decoded == testCase.decoded { decodeMatches += 1 }
        }
        print("sentencepiece parity: ids \(idMatches)/\(cases.count), decode \(decodeMatches)/\(cases.count)")
        // Round trip is exact except where SentencePiece itself is lossy: a literal "▁" is a space to it.
        for testCase in cases where !testCase.text.contains("\u{2581}") {
            XCTAssertEqual(tokenizer.decode(tokenizer.encode(testCase.text), skipSpecialTokens: true), testCase.text)
        }
    }

    func testByteFallbackForCharactersAbsentFromTheCorpus() throws {
        let tokenizer = try Tokenizer(directory: try bareDirectory())
        let ids = tokenizer.encode("日本", addSpecialTokens: false)
        // Six UTF-8 bytes, each its own <0xNN> piece (after the dummy-prefix piece).
        XCTAssertEqual(ids.compactMap(tokenizer.idToToken).filter { $0.hasPrefix("<0x") }.count, 6)
        XCTAssertEqual(tokenizer.decode(ids), "日本")
    }

    func testStreamingEqualsDecodeAndNeverSplitsACharacter() throws {
        let tokenizer = try Tokenizer(directory: try bareDirectory())
        for testCase in try fixture().cases {
            let ids = tokenizer.encode(testCase.text)
            var stream = tokenizer.makeStreamDecoder()
            var text = ""
            for id in ids {
                let chunk = stream.append(id)
                XCTAssertFalse(chunk.contains("\u{FFFD}"), "split character in \(testCase.text.debugDescription)")
                text += chunk
            }
            text += stream.finish()
            XCTAssertEqual(text, tokenizer.decode(ids), testCase.text.debugDescription)
        }
    }

    func testBosEosAndSpecialTokensFromTokenizerConfig() throws {
        let tokenizer = try Tokenizer(directory: Self.llamaDirectory)
        XCTAssertEqual(tokenizer.bosTokenId, 1)
        XCTAssertEqual(tokenizer.eosTokenId, 2)
        XCTAssertEqual(tokenizer.vocabularySize, 800)
        let ids = tokenizer.encode("Hello world")
        XCTAssertEqual(ids.first, 1, "add_bos_token adds <s>")
        XCTAssertEqual(Array(ids.dropFirst()), tokenizer.encode("Hello world", addSpecialTokens: false))
        XCTAssertEqual(tokenizer.decode(ids, skipSpecialTokens: true), "Hello world")
        XCTAssertEqual(tokenizer.decode(ids + [2], skipSpecialTokens: false), "<s>Hello world</s>")
        XCTAssertTrue(tokenizer.specialTokenIds.isSuperset(of: [0, 1, 2]) || tokenizer.specialTokenIds.isSuperset(of: [1, 2]))
        let rendered = try tokenizer.applyChatTemplate([ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: true)
        XCTAssertEqual(rendered, "<s>[INST] Hi [/INST]")
        // Control pieces in text (here from the template's {{ bos_token }}) become their ids, like LlamaTokenizer;
        // each text segment is encoded on its own.
        XCTAssertEqual(tokenizer.encode(rendered, addSpecialTokens: false),
                       [1] + tokenizer.encode("[INST] Hi [/INST]", addSpecialTokens: false))
        XCTAssertEqual(tokenizer.encode("a</s>b", addSpecialTokens: false),
                       tokenizer.encode("a", addSpecialTokens: false) + [2] + tokenizer.encode("b", addSpecialTokens: false))
    }

    func testCorruptAndMissingModelsAreClearErrors() throws {
        let directory = try bareDirectory()
        try Data("this is not a sentencepiece model".utf8).write(to: directory.appendingPathComponent("tokenizer.model"))
        XCTAssertThrowsError(try Tokenizer(directory: directory)) { error in
            guard case .invalidFile(let path, let reason) = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("tokenizer.model"))
            XCTAssertTrue(reason.contains("libsentencepiece"), reason)
        }
        try FileManager.default.removeItem(at: directory.appendingPathComponent("tokenizer.model"))
        XCTAssertThrowsError(try Tokenizer(directory: directory)) { XCTAssertTrue($0 is TokenizerError) }
    }
}
