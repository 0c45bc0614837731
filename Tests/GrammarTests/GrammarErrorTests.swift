import Grammar
import XCTest

/// Every keyword outside the supported set is refused with its name and JSON pointer; so are values the engine
/// cannot enforce exactly. Nothing is silently dropped.
final class GrammarErrorTests: XCTestCase {
    /// Members outside JSON Schema's vocabulary constrain nothing (validators ignore them), and formats JSON Schema
    /// does not define are annotations: both are ignored, not refused.
    func testNonKeywordsAndNonStandardFormatsAreIgnored() throws {
        for schema in [
            #"{"self":{"vendor":"com.acme","name":"x"},"type":"object","properties":{"a":{"type":"integer","javaName":"A"}}}"#,
            #"{"type":"object","properties":{"n":{"type":"integer","format":"int32"}},"required":["n"]}"#,
        ] {
            let grammar = try CompiledGrammar.jsonSchema(schema)
            var matcher = GrammarMatcher(grammar: grammar, vocabulary: TokenVocabulary(tokenBytes: (0..<256).map { [UInt8($0)] }, eosTokenIds: []))
            XCTAssertTrue(matcher.accept(bytes: Array(#"{"#.utf8)), schema)
        }
    }

    /// Unsupported keywords that what the grammar generates satisfies anyway are accepted (and the output still
    /// conforms): an object that constrains member names and lists none is generated as `{}`, counts the listed
    /// members meet, keywords of a type the schema excludes, `uniqueItems: false`.
    func testTriviallySatisfiedKeywordsAreAccepted() throws {
        let vocabulary = TokenVocabulary(tokenBytes: (0..<256).map { [UInt8($0)] }, eosTokenIds: [])
        let cases: [(schema: String, accepts: String, refuses: String)] = [
            (#"{"type":"object","patternProperties":{"^a":{"type":"integer"}}}"#, "{}", #"{"a":"x"}"#),
            (#"{"type":"object","propertyNames":{"maxLength":1},"maxProperties":0}"#, "{}", #"{"ab":1}"#),
            (#"{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"minProperties":1,"maxProperties":1}"#, #"{"a":1}"#, "{}"),
            (#"{"type":"array","items":{"type":"integer"},"uniqueItems":false}"#, "[1,1]", "[1,"),
            (#"{"type":"string","minContains":2,"multipleOf":3}"#, #""x""#, "3"),
            (#"{"type":"integer","multipleOf":1}"#, "12", "1.5"),
            (#"{"type":"object","properties":{"a":{}},"dependentRequired":{"b":["c"]}}"#, #"{"a":1}"#, #"{"b":1}"#),
        ]
        for (schema, accepts, refuses) in cases {
            let grammar = try CompiledGrammar.jsonSchema(schema)
            var matcher = GrammarMatcher(grammar: grammar, vocabulary: vocabulary)
            XCTAssertTrue(matcher.accept(bytes: Array(accepts.utf8)) && matcher.isComplete, "\(schema) refused \(accepts)")
            var other = GrammarMatcher(grammar: grammar, vocabulary: vocabulary)
            XCTAssertFalse(other.accept(bytes: Array(refuses.utf8)) && other.isComplete, "\(schema) accepted \(refuses)")
        }
    }

    func testUnsupportedKeywords() {
        let table: [(schema: String, keyword: String, pointer: String)] = [
            (#"{"type":"object","properties":{"a":{}},"patternProperties":{"^a":{}}}"#, "patternProperties", "/patternProperties"),
            (#"{"properties":{"tags":{"type":"object","additionalProperties":true,"patternProperties":{}}}}"#, "patternProperties", "/properties/tags/patternProperties"),
            (#"{"type":"number","multipleOf":2}"#, "multipleOf", "/multipleOf"),
            (#"{"type":"array","uniqueItems":true}"#, "uniqueItems", "/uniqueItems"),
            (#"{"type":"array","contains":{"type":"integer"}}"#, "contains", "/contains"),
            (#"{"type":"object","minProperties":1}"#, "minProperties", "/minProperties"),
            (#"{"type":"object","properties":{"a":{},"b":{}},"maxProperties":1}"#, "maxProperties", "/maxProperties"),
            (#"{"type":"object","additionalProperties":true,"propertyNames":{"pattern":"^a"}}"#, "propertyNames", "/propertyNames"),
            (#"{"type":"object","properties":{"a":{}},"dependentRequired":{"a":["b"]}}"#, "dependentRequired", "/dependentRequired"),
            (#"{"if":{},"then":{}}"#, "if", "/if"),
            (#"{"not":{"type":"string"}}"#, "not", "/not"),
            (#"{"type":"array","additionalItems":false}"#, "additionalItems", "/additionalItems"),
            (#"{"type":"object","additionalProperties":{"type":"string"},"unevaluatedProperties":false}"#, "unevaluatedProperties", "/unevaluatedProperties"),
            (#"{"type":"array","items":{"type":"object","properties":{"a":{"contentEncoding":"base64"}}}}"#, "contentEncoding", "/items/properties/a/contentEncoding"),
            (#"{"anyOf":[{"type":"string"},{"type":"integer","multipleOf":3}]}"#, "multipleOf", "/anyOf/1/multipleOf"),
            (##"{"$defs":{"x":{"type":"array","minContains":1}},"$ref":"#/$defs/x"}"##, "minContains", "/$defs/x/minContains"),
            (#"{"prefixItems":[{"type":"null"},{"properties":{"k":{}},"dependentSchemas":{"k":{}}}]}"#, "dependentSchemas", "/prefixItems/1/dependentSchemas"),
            (#"{"properties":{"a/b":{"$anchor":"x"}}}"#, "$anchor", "/properties/a~1b/$anchor"),
            (#"{"type":"string","format":"ipv4"}"#, "format", "/format"),
            (#"{"type":"string","format":"hostname"}"#, "format", "/format"),
            (#"{"type":"number","minimum":0.5}"#, "minimum", "/minimum"),
            (#"{"type":"number","exclusiveMaximum":2.25}"#, "exclusiveMaximum", "/exclusiveMaximum"),
            (#"{"type":"string","pattern":"(a)\\1"}"#, "pattern", "/pattern"),
            (#"{"type":"string","pattern":"(?=a)b"}"#, "pattern", "/pattern"),
            (#"{"type":"string","pattern":"\\bword"}"#, "pattern", "/pattern"),
            (#"{"$ref":"https://example.com/schema.json"}"#, "$ref", "/$ref"),
            (##"{"$ref":"#/$defs/missing"}"##, "$ref", "/$ref"),
            (#"{"type":"array","items":[{"type":"string"}]}"#, "items", "/items"),
            (#"{"type":"strings"}"#, "type", "/type"),
            (#"{"type":"string","minLength":-1}"#, "minLength", "/minLength"),
            (#"{"allOf":[{"type":"string","pattern":"a"},{"pattern":"b"}]}"#, "pattern", ""),
            (#"{"type":"object","properties":{"a":{}},"required":["b"],"additionalProperties":false}"#, "required", "/required"),
        ]
        for (schema, keyword, pointer) in table {
            do {
                _ = try CompiledGrammar.jsonSchema(schema)
                XCTFail("\(schema) compiled")
            } catch {
                XCTAssertEqual(error.keyword, keyword, "\(schema): \(error)")
                XCTAssertEqual(error.pointer, pointer, "\(schema): \(error)")
            }
        }
    }

    func testMessagesAndOtherErrors() {
        XCTAssertEqual(GrammarError.init(message: "unsupported keyword 'patternProperties'", keyword: "patternProperties",
                                         pointer: "/properties/tags/patternProperties").description,
                       "unsupported keyword 'patternProperties' at /properties/tags/patternProperties")
        do {
            _ = try CompiledGrammar.jsonSchema(#"{"type":"object","properties":{"a":{}},"patternProperties":{}}"#)
            XCTFail("compiled")
        } catch {
            XCTAssertEqual(error.message, "unsupported keyword 'patternProperties'")
        }
        for schema in ["false", "{\"type\":", "[1]", #"{"type":"integer","minimum":5,"maximum":4}"#, ##"{"$ref":"#"}"##] {
            XCTAssertThrowsError(try CompiledGrammar.jsonSchema(schema), schema)
        }
    }

    /// The request fuzzer's first find, spelled out: a 250-character unanchored pattern (runs of U+FFFD between
    /// alternatives, many of them empty) whose automaton took 14 s to build. It is refused once the determinization
    /// budget is spent (about 3 s here), whether the pattern is determinized alone or intersected with a length.
    func testAutomatonWorkIsBounded() {
        func run(_ text: String, _ count: Int) -> String { String(repeating: text, count: count) }
        let r = "\\ufffd"
        let pattern = "^[a-z]{2,3}" + run(r, 6) + "`" + run(r, 5) + "|" + run(r, 25) + "]" + run(r, 101) + "<|im_end|>"
            + run(r, 57) + run("|", 15) + "#" + run("|", 13) + run(r, 6) + "$"
        for schema in [#"{"type":"string","pattern":"\#(pattern)"}"#, #"{"type":"string","minLength":1,"pattern":"\#(pattern)"}"#] {
            do {
                _ = try CompiledGrammar.jsonSchema(schema)
                XCTFail("compiled")
            } catch {
                XCTAssertEqual(error.message, "the schema's automaton is too large to build (over 64000000 steps)")
            }
        }
    }

    func testAnnotationsAreAccepted() throws {
        _ = try compile(#"{"title":"t","description":"d","examples":[1],"$schema":"x","$id":"y","default":1,"$comment":"c","deprecated":true,"readOnly":true,"writeOnly":false,"type":"integer"}"#)
    }
}
