import XCTest
@testable import Tokenizer

final class BPETests: XCTestCase {
    /// Vocabulary: bytes a, b, c, space (Ġ), then merges "a b" -> ab, "ab c" -> abc, "Ġ a" -> Ġa.
    func makeBPE() throws -> BPE {
        let vocab = ["a": 0, "b": 1, "c": 2, "Ġ": 3, "ab": 4, "abc": 5, "Ġa": 6]
        return try BPE(vocab: vocab, merges: [["a", "b"], ["ab", "c"], ["Ġ", "a"]], file: "test")
    }

    func encode(_ bpe: BPE, _ text: String) -> [Int] {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            var ids: [Int] = []
            bpe.encode(buffer, piece: 0..<buffer.count, into: &ids)
            return ids
        }
    }

    func testMergesApplyByRank() throws {
        let bpe = try makeBPE()
        XCTAssertEqual(encode(bpe, "abc"), [5])
        XCTAssertEqual(encode(bpe, "abcab"), [5, 4])
        XCTAssertEqual(encode(bpe, "cba"), [2, 1, 0])
        // "Ġ a" has a worse rank than "a b", so " ab" becomes Ġ + ab, not Ġa + b.
        XCTAssertEqual(encode(bpe, " ab"), [3, 4])
        XCTAssertEqual(encode(bpe, " a"), [6])
    }

    func testQueueMatchesScanOnLongPieces() throws {
        let bpe = try makeBPE()
        var generator = SystemRandomNumberGenerator()
        for length in [2, 3, 10, 49, 200] {
            let symbols: [Int32] = (0..<length).map { _ in [0, 1, 2, 3].randomElement(using: &generator)! }
            var scanned = symbols
            bpe.mergeAllByScanning(&scanned)
            XCTAssertEqual(BPEMergeQueue.mergeAll(symbols, merges: bpe.merges), scanned, "\(symbols)")
        }
    }

    func testHugePieceIsNotQuadratic() throws {
        let tokenizer = try loadRealTokenizer()
        let text = String(repeating: "abcdefghij", count: 20_000)  // one 200 kB pre-tokenizer piece
        let start = Date()
        let ids = tokenizer.encode(text)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        XCTAssertEqual(tokenizer.decode(ids), text)
    }

    func testUnknownBytesAreDropped() throws {
        // "x" has no token; the remaining a, b are still adjacent symbols and merge.
        XCTAssertEqual(encode(try makeBPE(), "axb"), [4])
        XCTAssertEqual(encode(try makeBPE(), "xc"), [2])
    }

    func testMergeNamingMissingTokenIsAnError() {
        XCTAssertThrowsError(try BPE(vocab: ["a": 0], merges: [["a", "z"]], file: "t.json")) { error in
            guard case TokenizerError.invalidFile("t.json", let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("model.merges[0]"), reason)
        }
    }
}
