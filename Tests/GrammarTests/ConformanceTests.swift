import Foundation
import Grammar
import XCTest

/// The conformance suite (Tests/Fixtures/grammar/conformance.json, labels from Python jsonschema; see
/// scripts/make_grammar_fixtures.py): every valid instance is accepted byte by byte and complete, every invalid one
/// is rejected at some byte or incomplete at the end; token by token with the real tokenizer, each token of a valid
/// instance is in the mask before it is accepted and EOS is in the mask exactly when the value is complete.
final class ConformanceTests: XCTestCase {
    struct Suite: Decodable {
        struct Case: Decodable {
            var name: String
            var schema: String
            var valid: [String]
            var invalid: [String]
        }
        var cases: [Case]
    }

    static let suite: Suite? = try? JSONDecoder().decode(
        Suite.self, from: Data(contentsOf: grammarFixtures.appendingPathComponent("conformance.json")))

    func testSuiteIsLarge() throws {
        let suite = try XCTUnwrap(Self.suite, "Tests/Fixtures/grammar/conformance.json is missing or unreadable")
        XCTAssertGreaterThanOrEqual(suite.cases.count, 150)
        XCTAssertGreaterThanOrEqual(suite.cases.reduce(0) { $0 + $1.valid.count }, 400)
        XCTAssertGreaterThanOrEqual(suite.cases.reduce(0) { $0 + $1.invalid.count }, 500)
    }

    func testBytes() throws {
        let suite = try XCTUnwrap(Self.suite)
        for testCase in suite.cases {
            let grammar = try compile(testCase.schema)
            for text in testCase.valid {
                XCTAssertTrue(matches(grammar, text), "\(testCase.name): should accept \(text)")
            }
            for text in testCase.invalid {
                XCTAssertFalse(matches(grammar, text), "\(testCase.name): should reject \(text)")
            }
        }
    }

    func testTokensWithRealVocabulary() throws {
        let suite = try XCTUnwrap(Self.suite)
        guard let (tokenizer, vocabulary) = realVocabulary else { throw XCTSkip("weights/smol-135m is not fetched") }
        var mask = TokenMask(count: vocabulary.count)
        var numTokens = 0
        for testCase in suite.cases {
            let grammar = try compile(testCase.schema)
            for text in testCase.valid {
                let tokens = tokenizer.encode(text, addSpecialTokens: false)
                XCTAssertEqual(Array(tokens.compactMap { tokenizer.tokenBytes($0) }.joined()), Array(text.utf8))
                var matcher = GrammarMatcher(grammar: grammar, vocabulary: vocabulary)
                for token in tokens {
                    matcher.fillMask(&mask)
                    XCTAssertEqual(vocabulary.eosTokenIds.contains { mask.contains($0) }, matcher.isComplete, "\(testCase.name): \(text)")
                    guard mask.contains(token) else {
                        XCTFail("\(testCase.name): token \(token) \(tokenizer.decode([token]).debugDescription) of \(text) is not in the mask")
                        break
                    }
                    XCTAssertTrue(matcher.accept(token: token), "\(testCase.name): \(text)")
                    numTokens += 1
                }
                XCTAssertTrue(matcher.isComplete, "\(testCase.name): \(text)")
                matcher.fillMask(&mask)
                for eos in vocabulary.eosTokenIds { XCTAssertTrue(mask.contains(eos), "\(testCase.name): \(text)") }
                XCTAssertTrue(matcher.accept(token: vocabulary.eosTokenIds.first!))
                XCTAssertTrue(matcher.isTerminated)
            }
        }
        XCTAssertGreaterThan(numTokens, 2000)
    }
}
