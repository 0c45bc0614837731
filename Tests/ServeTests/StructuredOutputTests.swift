import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import Serve

/// `response_format` end to end with the real SmolLM2-135M weights: what comes back parses and conforms, whatever the
/// model would have said unconstrained, with and without speculation; and what cannot be enforced is a 400.
@Suite(.enabled(if: EngineFixture.isAvailable, "weights/smol-135m not fetched"))
struct StructuredOutputTests {
    static let person = #"{"type":"object","properties":{"name":{"type":"string","maxLength":24},"age":{"type":"integer","minimum":0,"maximum":120},"languages":{"type":"array","items":{"enum":["English","French","Swift"]},"maxItems":3}},"required":["name","age","languages"],"additionalProperties":false}"#

    private func chat(_ client: some TestClientProtocol, _ content: String, format: String, extra: String = "") async throws
        -> (status: HTTPResponse.Status, json: [String: Any])
    {
        let body = #"{"messages":[{"role":"user","content":"\#(content)"}],"max_tokens":96,"temperature":0,"response_format":\#(format)\#(extra)}"#
        let response = try await client.post("/v1/chat/completions", json: body)
        return (response.status, try response.json())
    }

    @Test(.timeLimit(.minutes(3)))
    func jsonSchemaRepliesConformWithAndWithoutSpeculation() async throws {
        let format = #"{"type":"json_schema","json_schema":{"name":"person","schema":\#(Self.person),"strict":true}}"#
        let texts = Mutex<[String]>([])
        for spec in [SpeculationConfig.Mode.off, .ngram] {
            var config = EngineConfig.forTests
            config.speculation.mode = spec
            let (model, engine) = try ServedModel.load(name: "smol-135m", directory: RealModelTests.weights, engineConfig: config)
            defer { engine.shutdown() }
            try await withTestClient(model: model) { client in
                let (status, json) = try await chat(client, "Describe Ada Lovelace as JSON.", format: format)
                #expect(status == .ok, "\(json)")
                let choice = try choices(json)[0]
                #expect(choice["finish_reason"] as? String == "stop")
                let text = try #require((choice["message"] as? [String: Any])?["content"] as? String)
                let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
                #expect(Array(object.keys).sorted() == ["age", "languages", "name"])
                let name = try #require(object["name"] as? String)
                #expect(name.count <= 24)
                let age = try #require(object["age"] as? Int)
                #expect((0...120).contains(age))
                let languages = try #require(object["languages"] as? [String])
                #expect(languages.count <= 3 && Set(languages).isSubset(of: ["English", "French", "Swift"]))
                // Compact, in the order of `properties`.
                #expect(text.hasPrefix(#"{"name":""#) && !text.contains(", ") && !text.contains(": "))
                texts.withLock { $0.append(text) }
            }
        }
        let replies = texts.withLock { $0 }
        #expect(replies.count == 2 && replies[0] == replies[1], "speculation changed a greedy constrained reply: \(replies)")
    }

    @Test(.timeLimit(.minutes(2)))
    func jsonObjectOnBothEndpoints() async throws {
        let (model, engine) = try ServedModel.load(name: "smol-135m", directory: RealModelTests.weights, engineConfig: .forTests)
        defer { engine.shutdown() }
        try await withTestClient(model: model) { client in
            let (status, json) = try await chat(client, "List three fruits.", format: #"{"type":"json_object"}"#)
            #expect(status == .ok)
            let text = try #require((try choices(json)[0]["message"] as? [String: Any])?["content"] as? String)
            #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any], "\(text)")

            let completion = try await client.post(
                "/v1/completions",
                json: #"{"prompt":"A JSON object describing a cat:","max_tokens":64,"temperature":0,"ignore_eos":true,"response_format":{"type":"json_object"}}"#)
            let choice = try choices(try completion.json())[0]
            let completed = try #require(choice["text"] as? String)
            // ignore_eos cannot run past the end of the value: the reply ends when the JSON is complete.
            if choice["finish_reason"] as? String == "stop" {
                #expect(try JSONSerialization.jsonObject(with: Data(completed.utf8)) is [String: Any], "\(completed)")
            } else {
                #expect(completed.utf8.count >= 64 && completed.hasPrefix("{"))
            }
        }
    }

    @Test func whatCannotBeEnforcedIs400() async throws {
        try await withTestClient { client in
            let cases: [(String, String, String)] = [
                (#"{"type":"xml"}"#, "", "response_format.type"),
                (#"{"type":"json_schema"}"#, "", "response_format.json_schema"),
                (#"{"type":"json_schema","json_schema":{"name":"x"}}"#, "", "response_format.json_schema.schema"),
                (#"{"type":"json_schema","json_schema":{"name":"x","schema":"object"}}"#, "", "response_format.json_schema.schema"),
                (#"{"type":"json_schema","json_schema":{"schema":{"type":"object","properties":{"a":{"type":"string","contentEncoding":"base64"}}}}}"#,
                 "", "response_format.json_schema.schema"),
                (#"{"type":"json_object"}"#, #","stop":["}"]"#, "stop"),
            ]
            for (format, extra, param) in cases {
                let (status, json) = try await chat(client, "Hi", format: format, extra: extra)
                #expect(status == .badRequest, "\(format)")
                let error = try #require(json["error"] as? [String: Any])
                #expect(error["param"] as? String == param, "\(format): \(error)")
            }
            let (_, json) = try await chat(
                client, "Hi",
                format: #"{"type":"json_schema","json_schema":{"schema":{"type":"object","properties":{"a":{"type":"string","contentEncoding":"base64"}}}}}"#)
            let message = try #require((json["error"] as? [String: Any])?["message"] as? String)
            #expect(message.contains("contentEncoding") && message.contains("/properties/a/contentEncoding"), "\(message)")
            let text = try await client.post(
                "/v1/chat/completions",
                json: #"{"messages":[{"role":"user","content":"Hi"}],"max_tokens":3,"response_format":{"type":"text"}}"#)
            #expect(text.status == .ok)
        }
    }
}
