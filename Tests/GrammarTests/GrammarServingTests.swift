import Grammar
import XCTest

/// What the server relies on, end to end through the public API: a schema compiles, the matcher walks an
/// instance's bytes, EOS is allowed exactly at the end, and a copy is an independent checkpoint.
final class GrammarServingTests: XCTestCase {
    /// Bytes 0...255 are themselves, 256 is EOS.
    private let vocabulary = TokenVocabulary(tokenBytes: (0..<256).map { [UInt8($0)] } + [nil], eosTokenIds: [256])

    func testMatcherWalksAnInstanceAndAllowsEOSOnlyAtTheEnd() throws {
        let grammar = try CompiledGrammar.jsonSchema(
            #"{"type":"object","properties":{"b":{"type":"integer"},"a":{"type":"string"}},"required":["b","a"]}"#)
        var matcher = GrammarMatcher(grammar: grammar, vocabulary: vocabulary)
        var mask = TokenMask(count: vocabulary.count)
        var isInString = false
        for byte in Array(#"{"b":12,"a":"x"}"#.utf8) {
            matcher.fillMask(&mask)
            XCTAssertFalse(mask.contains(256), "EOS before the end")
            XCTAssertTrue(mask.contains(Int(byte)))
            var checkpoint = matcher
            if !isInString { XCTAssertFalse(checkpoint.accept(token: Int(UInt8(ascii: " "))), "no whitespace in compact output") }
            XCTAssertTrue(matcher.accept(token: Int(byte)))
            if byte == UInt8(ascii: "\"") { isInString.toggle() }
        }
        XCTAssertTrue(matcher.isComplete)
        matcher.fillMask(&mask)
        XCTAssertEqual(mask.numAllowed, 1)
        XCTAssertTrue(matcher.accept(token: 256))
        XCTAssertTrue(matcher.isTerminated)
    }

    func testPropertiesComeInTheSchemasOrder() throws {
        let grammar = try CompiledGrammar.jsonSchema(
            #"{"type":"object","properties":{"b":{"type":"integer"},"a":{"type":"integer"}},"required":["a","b"]}"#)
        var matcher = GrammarMatcher(grammar: grammar, vocabulary: vocabulary)
        XCTAssertFalse(matcher.accept(bytes: Array(#"{"a""#.utf8)))
        XCTAssertTrue(matcher.accept(bytes: Array(#"{"b":1,"a":2}"#.utf8)))
        XCTAssertTrue(matcher.isComplete)
    }

    /// Digit runs are bounded at 16 (a stuck small model would otherwise write zeros until max_tokens).
    func testDigitRunsAreBounded() throws {
        for schema in [#"{"type":"integer"}"#, #"{"type":"number"}"#, #"{"type":"integer","minimum":5}"#, "{}"] {
            let grammar = try CompiledGrammar.jsonSchema(schema)
            var sixteen = GrammarMatcher(grammar: grammar, vocabulary: vocabulary)
            XCTAssertTrue(sixteen.accept(bytes: Array("1234567890123456".utf8)) && sixteen.isComplete, schema)
            var seventeen = GrammarMatcher(grammar: grammar, vocabulary: vocabulary)
            XCTAssertFalse(seventeen.accept(bytes: Array("12345678901234567".utf8)), schema)
        }
        var fraction = GrammarMatcher(grammar: try CompiledGrammar.jsonSchema(#"{"type":"number"}"#), vocabulary: vocabulary)
        XCTAssertFalse(fraction.accept(bytes: Array("0.00000000000000001".utf8)))
    }

    func testUnsupportedKeywordNamesItsPointer() {
        XCTAssertThrowsError(try CompiledGrammar.jsonSchema(#"{"type":"object","properties":{"t":{"properties":{"u":{}},"patternProperties":{}}}}"#)) { error in
            let error = error as? GrammarError
            XCTAssertEqual(error?.keyword, "patternProperties")
            XCTAssertEqual(error?.pointer, "/properties/t/patternProperties")
        }
    }
}
