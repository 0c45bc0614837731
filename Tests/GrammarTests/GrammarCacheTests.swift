import Foundation
import Grammar
import XCTest

final class GrammarCacheTests: XCTestCase {
    func testSameTextSameInstanceAndLRU() throws {
        let cache = GrammarCache(capacity: 2)
        let a = try cache.grammar(forSchema: #"{"type":"integer"}"#)
        XCTAssertTrue(a === (try cache.grammar(forSchema: #"{"type":"integer"}"#)))
        let b = try cache.grammar(forSchema: #"{"type":"string"}"#)
        XCTAssertFalse(a === b)
        _ = try cache.grammar(forSchema: #"{"type":"integer"}"#)  // a is now the most recent
        _ = try cache.grammar(forSchema: #"{"type":"boolean"}"#)  // evicts b
        XCTAssertEqual(cache.count, 2)
        XCTAssertTrue(a === (try cache.grammar(forSchema: #"{"type":"integer"}"#)))
        XCTAssertFalse(b === (try cache.grammar(forSchema: #"{"type":"string"}"#)))
        XCTAssertThrowsError(try cache.grammar(forSchema: #"{"not":{}}"#))
    }

    /// A refusal is remembered like a grammar, so a schema that exhausts the work budget costs its compile once.
    func testRefusalsAreCached() throws {
        let cache = GrammarCache(capacity: 4)
        let refused = #"{"not":{}}"#
        XCTAssertNil(cache.cachedGrammar(forSchema: refused))
        XCTAssertThrowsError(try cache.grammar(forSchema: refused))
        guard case .failure(let error)? = cache.cachedGrammar(forSchema: refused) else { return XCTFail("refusal not cached") }
        XCTAssertThrowsError(try cache.grammar(forSchema: refused)) { XCTAssertEqual($0 as? GrammarError, error) }
        XCTAssertEqual(cache.count, 1)
        XCTAssertNil(cache.cachedGrammar(forSchema: #"{"type":"integer"}"#), "looking never compiles")
    }

    func testConcurrentUse() throws {
        let cache = GrammarCache()
        let schemas = (0..<8).map { #"{"type":"integer","maximum":\#($0)}"# }
        DispatchQueue.concurrentPerform(iterations: 64) { index in
            let grammar = try! cache.grammar(forSchema: schemas[index % 8])
            var matcher = GrammarMatcher(grammar: grammar, vocabulary: byteVocabulary)
            var mask = TokenMask(count: byteVocabulary.count)
            matcher.fillMask(&mask)
            XCTAssertTrue(mask.contains(Int(UInt8(ascii: "-"))))
            XCTAssertTrue(matcher.accept(bytes: Array("0".utf8)))
        }
        XCTAssertEqual(cache.count, 8)
    }
}
