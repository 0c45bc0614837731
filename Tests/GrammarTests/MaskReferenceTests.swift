import Grammar
import XCTest

/// fillMask against the definition: at positions reached on valid instances, the mask is exactly the tokens whose
/// bytes `accept` on a copy of the matcher (EOS: exactly when complete), over the real vocabulary.
final class MaskReferenceTests: XCTestCase {
    func testMaskEqualsBruteForce() throws {
        guard let (tokenizer, vocabulary) = realVocabulary else { throw XCTSkip("weights/smol-135m is not fetched") }
        let suite = try XCTUnwrap(ConformanceTests.suite)
        // Deterministic choice: every 3rd schema's longest valid instance, every other token position and the end.
        var numStates = 0
        var mask = TokenMask(count: vocabulary.count)
        for (index, testCase) in suite.cases.enumerated() where index % 3 == 0 {
            guard let text = testCase.valid.max(by: { $0.utf8.count < $1.utf8.count }) else { continue }
            let grammar = try compile(testCase.schema)
            let tokens = tokenizer.encode(text, addSpecialTokens: false)
            var matcher = GrammarMatcher(grammar: grammar, vocabulary: vocabulary)
            for (position, token) in tokens.enumerated().map({ ($0.offset, $0.element) }) + [(tokens.count, -1)] {
                if position % 2 == 0 || position >= tokens.count - 1 {
                    matcher.fillMask(&mask)
                    var mismatches: [Int] = []
                    for candidate in 0..<vocabulary.count {
                        var copy = matcher
                        if copy.accept(token: candidate) != mask.contains(candidate) { mismatches.append(candidate) }
                    }
                    XCTAssertEqual(mismatches.prefix(5).map { "\($0) \(tokenizer.decode([$0]).debugDescription)" }, [],
                                   "\(testCase.name) at token \(position) of \(text)")
                    numStates += 1
                }
                if token >= 0 { XCTAssertTrue(matcher.accept(token: token)) }
            }
            // The value is complete: EOS is allowed (and, but for a number that could go on, only EOS).
            for eos in vocabulary.eosTokenIds { XCTAssertTrue(mask.contains(eos), testCase.name) }
            if text.hasSuffix("}") || text.hasSuffix("]") || text.hasSuffix("\"") {
                XCTAssertEqual((0..<vocabulary.count).filter { mask.contains($0) }, vocabulary.eosTokenIds.sorted(), testCase.name)
            }
        }
        XCTAssertGreaterThanOrEqual(numStates, 30)
    }
}
