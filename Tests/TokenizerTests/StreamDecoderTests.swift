import XCTest
@testable import Tokenizer

final class StreamDecoderTests: XCTestCase {
    func testCompletePrefixHoldsBackPartialCharacters() {
        let euro = Array("€".utf8)  // E2 82 AC
        XCTAssertEqual(StreamDecoder.completePrefixLength([0x61] + euro.prefix(2)), 1)
        XCTAssertEqual(StreamDecoder.completePrefixLength([0x61] + euro), 4)
        XCTAssertEqual(StreamDecoder.completePrefixLength(Array("😀".utf8.prefix(3))), 0)
        XCTAssertEqual(StreamDecoder.completePrefixLength([0x80, 0x80]), 2, "stray continuation bytes are emitted")
    }

    func testMultiByteCharactersSplitAcrossTokens() throws {
        let tokenizer = try loadRealTokenizer()
        let text = "日本語 😀👨‍👩‍👧‍👦 café <|im_end|> 𝕳𝖊𝖑𝖑𝖔 done"
        let ids = tokenizer.encode(text)
        var decoder = tokenizer.makeStreamDecoder()
        var chunks: [String] = []
        for id in ids { chunks.append(decoder.append(id)) }
        chunks.append(decoder.finish())
        XCTAssertEqual(chunks.joined(), tokenizer.decode(ids))
        XCTAssertEqual(chunks.joined(), text)
        XCTAssertFalse(chunks.contains { $0.contains("\u{FFFD}") }, "no chunk may cut a character")
        XCTAssertGreaterThan(chunks.filter(\.isEmpty).count, 0, "some tokens hold partial characters")
    }

    func testSkipSpecialTokensAndInvalidTail() throws {
        let tokenizer = try loadRealTokenizer()
        var decoder = tokenizer.makeStreamDecoder(skipSpecialTokens: true)
        let ids = tokenizer.encode("a<|im_end|>b")
        let streamed = ids.map { decoder.append($0) }.joined() + decoder.finish()
        XCTAssertEqual(streamed, "ab")

        // A lone lead byte at the end decodes to U+FFFD, exactly as decode does.
        let rareIds = tokenizer.encode("𠜎")
        XCTAssertGreaterThan(rareIds.count, 1)
        var partial = tokenizer.makeStreamDecoder()
        let head = Array(rareIds.dropLast())
        let streamedHead = head.map { partial.append($0) }.joined() + partial.finish()
        XCTAssertEqual(streamedHead, tokenizer.decode(head))
    }

    func testFixtureStringsStreamLikeDecode() throws {
        let tokenizer = try loadRealTokenizer()
        for testCase in try loadFixture([FixtureParityTests.IdsCase].self, "tokenizer_ids.json") {
            var decoder = tokenizer.makeStreamDecoder()
            let streamed = testCase.ids.map { decoder.append($0) }.joined() + decoder.finish()
            XCTAssertEqual(streamed, tokenizer.decode(testCase.ids), testCase.text.debugDescription)
        }
    }
}
