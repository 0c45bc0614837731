import Grammar
import XCTest

/// fillMask against the definition: at positions reached on valid instances, the mask is exactly the tokens whose
/// bytes `accept` on a copy of the matcher (EOS: exactly when complete), over the real vocabulary.
final class MaskReferenceTests: XCTestCase {
    func testMaskEqualsBruteForce() throws {
        guard let (tokenizer, vocabulary) = realVocabulary else { throw XCTSkip("weights/smol-135m is not fetched") }
        let suite = try XCTUnwrap(ConformanceTests.suite)
        // Deterministic choice of cases: every 6th schema with a valid instance, positions spread over each instance.
        var numStates = 0
        var mask = TokenMask(count: vocabulary.count)
        for (index, testCase) in suite.cases.enumerated() where index % 6 == 0 {
            guard let text = testCase.valid.max(by: { $0.utf8.count < $1.utf8.count }) else { continue }
            let grammar = try compile(testCase.schema)
            let tokens = tokenizer.encode(text, addSpecialTokens: false)
            var matcher = GrammarMatcher(grammar: grammar, vocabulary: vocabulary)
            for (position, token) in tokens.enumerated() {
                if position % 3 == 0 || position == tokens.count - 1 {
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
                XCTAssertTrue(matcher.accept(token: token))
            }
            matcher.fillMask(&mask)
            XCTAssertEqual((0..<vocabulary.count).filter { mask.contains($0) }, vocabulary.eosTokenIds.sorted(), testCase.name)
        }
        XCTAssertGreaterThanOrEqual(numStates, 30)
    }
}
