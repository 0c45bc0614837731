import XCTest
@testable import Tokenizer

final class PreTokenizerTests: XCTestCase {
    let gpt2 = ByteLevelPreTokenizer(useRegex: true)

    func testWordsKeepTheirLeadingSpace() {
        XCTAssertEqual(pieces(gpt2, "Hello world, it's me!"), ["Hello", " world", ",", " it", "'s", " me", "!"])
    }

    func testContractionsAreCaseSensitive() {
        XCTAssertEqual(pieces(gpt2, "IT'S it's we'Re we're"), ["IT", "'", "S", " it", "'s", " we", "'", "Re", " we", "'re"])
        XCTAssertEqual(pieces(gpt2, "'sam ''s"), ["'s", "am", " ''", "s"])
    }

    func testWhitespaceRunGivesItsLastCharacterToTheNextWord() {
        XCTAssertEqual(pieces(gpt2, "a   b"), ["a", "  ", " b"])
        XCTAssertEqual(pieces(gpt2, "a\t\tb"), ["a", "\t", "\t", "b"])
        XCTAssertEqual(pieces(gpt2, "a \nb"), ["a", " ", "\n", "b"])
        XCTAssertEqual(pieces(gpt2, "a  "), ["a", "  "])
        XCTAssertEqual(pieces(gpt2, "a\n\n"), ["a", "\n\n"])
        XCTAssertEqual(pieces(gpt2, "x  !"), ["x", " ", " !"])
    }

    func testClassesFollowUnicodeProperties() {
        // \u{00A0} is White_Space, so it never joins a word; "日本" are letters; "½" is \p{N}.
        XCTAssertEqual(pieces(gpt2, "a\u{00A0}b"), ["a", "\u{00A0}", "b"])
        XCTAssertEqual(pieces(gpt2, "日本 語"), ["日本", " 語"])
        XCTAssertEqual(pieces(gpt2, "x½y"), ["x", "½", "y"])
        XCTAssertEqual(pieces(gpt2, "héllo 😀!"), ["héllo", " 😀!"])
    }

    func testDigitsAreIsolatedBeforeTheRegex() {
        let sequence = PreTokenizerSequence(children: [DigitsPreTokenizer(individualDigits: true), gpt2])
        XCTAssertEqual(pieces(sequence, "abc 123d"), ["abc", " ", "1", "2", "3", "d"])
        XCTAssertEqual(pieces(DigitsPreTokenizer(individualDigits: false), "a12b3"), ["a", "12", "b", "3"])
    }

    func testEmptyInputHasNoPieces() {
        XCTAssertEqual(pieces(gpt2, ""), [])
    }
}
