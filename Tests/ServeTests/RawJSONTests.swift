import Foundation
import Testing

@testable import Serve

/// The schema's own text, key order kept, found inside a request body however it is spaced and escaped.
struct RawJSONTests {
    @Test func findsTheValueTextAtAPath() throws {
        let body = #"""
            {"model":"m", "x": {"schema": 1}, "response_format" : { "type":"json_schema",
              "json_schema": {"name":"a\"b", "schema": {"properties": {"z": {"type":"string"}, "a": {"enum":["}",  "]"]}}},
              "strict": true}}, "tail": [1, {"schema": 2}]}
            """#
        let text = RawJSON.value(at: ["response_format", "json_schema", "schema"], in: Data(body.utf8))
        #expect(text == #"{"properties": {"z": {"type":"string"}, "a": {"enum":["}",  "]"]}}}"#)
        #expect(RawJSON.value(at: ["response_format", "type"], in: Data(body.utf8)) == #""json_schema""#)
        #expect(RawJSON.value(at: ["response_format", "json_schema", "strict"], in: Data(body.utf8)) == "true")
        #expect(RawJSON.value(at: ["x", "schema"], in: Data(body.utf8)) == "1")
        #expect(RawJSON.value(at: ["missing"], in: Data(body.utf8)) == nil)
        #expect(RawJSON.value(at: ["model", "schema"], in: Data(body.utf8)) == nil)
    }

    @Test func theLastOfARepeatedKeyCounts() {
        let body = #"{"a": {"b": 1}, "a": {"b": [2, 3]}}"#
        #expect(RawJSON.value(at: ["a", "b"], in: Data(body.utf8)) == "[2, 3]")
    }

    @Test func escapedKeysAreCompared() {
        #expect(RawJSON.value(at: ["schema"], in: Data(#"{"sch\u0065ma": true}"#.utf8)) == "true")
    }
}
