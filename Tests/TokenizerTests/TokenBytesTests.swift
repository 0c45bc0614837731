import Foundation
import XCTest
@testable import Tokenizer

/// `Tokenizer.tokenBytes`: what a grammar engine walks. Checked against `decode` of the single token.
final class TokenBytesTests: XCTestCase {
    func testByteLevelTokenBytesMatchDecode() throws {
        let tokenizer = try loadRealTokenizer()
        XCTAssertEqual(tokenizer.tokenBytes(tokenizer.tokenToId("Ġthe")!), Array(" the".utf8))
        XCTAssertEqual(tokenizer.tokenBytes(tokenizer.tokenToId("Ċ")!), [0x0A])
        XCTAssertNil(tokenizer.tokenBytes(tokenizer.eosTokenId!))
        XCTAssertNil(tokenizer.tokenBytes(-1))
        XCTAssertNil(tokenizer.tokenBytes(tokenizer.vocabularySize))
        let all = tokenizer.allTokenBytes()
        XCTAssertEqual(all.count, tokenizer.vocabularySize)
        var numChecked = 0
        for id in 0..<tokenizer.vocabularySize {
            guard let bytes = all[id] else {
                XCTAssertTrue(tokenizer.specialTokenIds.contains(id), "id \(id) has no bytes but is not special")
                continue
            }
            // Tokens holding part of a UTF-8 character decode to U+FFFD: compare only whole characters.
            guard let text = String(validatingUTF8CString: bytes) else { continue }
            XCTAssertEqual(tokenizer.decode([id]), text, "id \(id)")
            numChecked += 1
        }
        XCTAssertGreaterThan(numChecked, 40_000)
    }

    func testSentencePieceTokenBytes() throws {
        let directory = fixturesDirectory.appendingPathComponent("spm-llama")
        let tokenizer = try Tokenizer(directory: directory)
        XCTAssertNil(tokenizer.tokenBytes(tokenizer.bosTokenId!))
        XCTAssertNil(tokenizer.tokenBytes(tokenizer.eosTokenId!))
        var numByteTokens = 0, numChecked = 0
        for id in 0..<tokenizer.vocabularySize {
            guard let piece = tokenizer.idToToken(id), let bytes = tokenizer.tokenBytes(id) else { continue }
            if piece.hasPrefix("<0x"), piece.count == 6 {
                XCTAssertEqual(bytes, [UInt8(piece.dropFirst(3).dropLast(), radix: 16)!], piece)
                numByteTokens += 1
            } else {
                XCTAssertEqual(bytes, Array(piece.replacingOccurrences(of: "\u{2581}", with: " ").utf8), piece)
                // decode drops the leading space of the first piece: compare after a token that adds none.
                if let text = String(validatingUTF8CString: bytes), !piece.hasPrefix("\u{2581}") {
                    XCTAssertEqual(tokenizer.decode([id], skipSpecialTokens: true), text, piece)
                    numChecked += 1
                }
            }
        }
        XCTAssertEqual(numByteTokens, 256)
        XCTAssertGreaterThan(numChecked, 10)
    }
}

private extension String {
    /// The text of `bytes` if they are valid UTF-8 with no NUL.
    init?(validatingUTF8CString bytes: [UInt8]) {
        guard !bytes.contains(0), let text = String(bytes: bytes, encoding: .utf8) else { return nil }
        self = text
    }
}
