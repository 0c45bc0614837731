import Grammar
import XCTest

/// Literal cases per construct (the conformance suite covers them at scale).
final class SmokeTests: XCTestCase {
    func check(_ schema: String, valid: [String], invalid: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let grammar = try compile(schema, file: file, line: line)
        for text in valid { XCTAssertTrue(matches(grammar, text), "\(schema) should accept \(text)", file: file, line: line) }
        for text in invalid { XCTAssertFalse(matches(grammar, text), "\(schema) should reject \(text)", file: file, line: line) }
    }

    func testScalars() throws {
        try check(#"{"type":"integer","minimum":-12,"maximum":305}"#,
                  valid: ["-12", "-1", "0", "9", "305", "299", "100"], invalid: ["-13", "306", "01", "-0", "1.0", "400", ""])
        try check(#"{"type":"number"}"#, valid: ["0", "-1.5e+3", "2E7", "0.25"], invalid: ["01", "1.", ".5", "+1", "1e"])
        try check(#"{"type":"number","exclusiveMinimum":0,"maximum":10}"#,
                  valid: ["0.001", "10", "10.00", "3.7"], invalid: ["0", "0.0", "-1", "10.01", "11"])
        try check(#"{"type":"string","minLength":2,"maxLength":3}"#,
                  valid: [#""ab""#, #""abc""#, #""é\n""#, #""\u00e9x""#], invalid: [#""a""#, #""abcd""#])
        try check(#"{"type":"string","pattern":"^[a-c]+\\d$"}"#, valid: [#""ab1""#], invalid: [#""ab""#, #""xb1""#])
        try check(#"{"type":"string","pattern":"foo"}"#, valid: [#""xfooy""#, #""foo""#], invalid: [#""fo""#])
        try check(#"{"type":"string","format":"date"}"#,
                  valid: [#""2024-02-29""#, #""2023-12-31""#], invalid: [#""2023-02-29""#, #""2023-04-31""#, #""2023-1-01""#])
        try check(#"{"enum":["a",1,null,{"x":[true]}]}"#, valid: [#""a""#, "1", "null", #"{"x":[true]}"#], invalid: ["2", #""b""#])
        try check(#"{"type":["string","null"]}"#, valid: ["null", #""x""#], invalid: ["1"])
    }

    func testObjectsAndArrays() throws {
        try check(#"{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},"required":["b"]}"#,
                  valid: [#"{"b":"x"}"#, #"{"a":1,"b":"x"}"#], invalid: [#"{"a":1}"#, "{}", #"{"b":"x","a":1}"#, #"{"b":"x","c":1}"#])
        try check(#"{"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":{"type":"boolean"}}"#,
                  valid: [#"{"a":1,"z":true}"#, #"{"z":false,"y":true}"#, "{}"], invalid: [#"{"a":1,"a":true}"#, #"{"z":1}"#])
        try check(#"{"type":"array","prefixItems":[{"type":"integer"}],"items":{"type":"string"},"minItems":2,"maxItems":3}"#,
                  valid: [#"[1,"a"]"#, #"[1,"a","b"]"#], invalid: ["[1]", #"[1,"a","b","c"]"#, #"["a","b"]"#])
        try check(#"{"type":"object"}"#, valid: ["{}", #"{"a":[1,{"b":null}]}"#], invalid: ["[]", #"{"a":}"#])
    }

    func testRecursion() throws {
        let tree = ##"{"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v"]}},"$ref":"#/$defs/node"}"##
        try check(tree, valid: [#"{"v":1}"#, #"{"v":1,"kids":[{"v":2,"kids":[]},{"v":3}]}"#], invalid: [#"{"kids":[]}"#, #"{"v":1,"kids":[{}]}"#])
        try check(##"{"anyOf":[{"type":"integer"},{"type":"array","items":{"$ref":"#"}}]}"##,
                  valid: ["1", "[]", "[1,[2,[3]]]"], invalid: ["[1,[2,[x]]]"])
    }

    func testEOSAndMask() throws {
        let grammar = try compile(#"{"type":"object","properties":{"a":{"type":"boolean"}},"required":["a"]}"#)
        var matcher = GrammarMatcher(grammar: grammar, vocabulary: byteVocabulary)
        var mask = TokenMask(count: byteVocabulary.count)
        matcher.fillMask(&mask)
        XCTAssertEqual((0..<mask.count).filter { mask.contains($0) }, [Int(UInt8(ascii: "{")), 256])
        XCTAssertFalse(matcher.accept(token: 264))
        XCTAssertTrue(matcher.accept(bytes: Array(#"{"a":true"#.utf8)))
        XCTAssertFalse(matcher.isComplete)
        XCTAssertTrue(matcher.accept(token: Int(UInt8(ascii: "}"))))
        XCTAssertTrue(matcher.isComplete)
        matcher.fillMask(&mask)
        XCTAssertEqual((0..<mask.count).filter { mask.contains($0) }, [264])
        XCTAssertFalse(matcher.accept(token: 265))
        XCTAssertTrue(matcher.accept(token: 264))
        XCTAssertTrue(matcher.isTerminated)
        matcher.fillMask(&mask)
        XCTAssertEqual(mask.numAllowed, 0)
    }
}
