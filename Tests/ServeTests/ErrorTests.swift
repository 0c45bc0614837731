import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Serve

/// Each malformed request gets the right status and an OpenAI-shaped error, never a 5xx.
@Suite struct ErrorTests {
    /// (body, param) pairs that must give 400 on /v1/completions.
    static let badCompletions: [(String, String?)] = [
        ("{", nil),
        ("not json", nil),
        ("[1,2]", nil),
        ("\"prompt\"", nil),
        ("{}", "prompt"),
        (#"{"prompt":null}"#, "prompt"),
        (#"{"prompt":42}"#, "prompt"),
        (#"{"prompt":["a","b"]}"#, "prompt"),
        (#"{"prompt":[[1],[2]]}"#, "prompt"),
        (#"{"prompt":[1.5]}"#, "prompt"),
        (#"{"prompt":[-1]}"#, "prompt"),
        (#"{"prompt":[260]}"#, "prompt"),
        (#"{"prompt":[]}"#, "prompt"),
        (#"{"prompt":"Hi","max_tokens":0}"#, "max_tokens"),
        (#"{"prompt":"Hi","max_tokens":-5}"#, "max_tokens"),
        (#"{"prompt":"Hi","max_tokens":"8"}"#, "max_tokens"),
        (#"{"prompt":"Hi","max_tokens":2.5}"#, nil),
        (#"{"prompt":"Hi","max_tokens":1e30}"#, nil),
        (#"{"prompt":"Hi","max_tokens":9223372036854775807}"#, "max_tokens"),
        (#"{"prompt":"Hi","temperature":0.7}"#, "temperature"),
        (#"{"prompt":"Hi","temperature":"hot"}"#, "temperature"),
        (#"{"prompt":"Hi","stream":true}"#, "stream"),
        (#"{"prompt":"Hi","stream":"yes"}"#, "stream"),
        (#"{"prompt":"Hi","model":5}"#, "model"),
    ]

    @Test(arguments: badCompletions)
    func badCompletionIs400(body: String, param: String?) async throws {
        let engine = FakeEngine()
        try await withTestClient(model: .fake(engine: engine)) { client in
            let response = try await client.post("/v1/completions", json: body)
            try expectAPIError(response, .badRequest, param: param)
        }
        #expect(engine.prompts.isEmpty)
    }

    @Test func emptyBodyIs400() async throws {
        try await withTestClient { client in
            let response = try await client.execute(
                uri: "/v1/completions", method: .post, headers: [.contentType: "application/json"])
            try expectAPIError(response, .badRequest)
        }
    }

    @Test func contextOverflowNamesBothNumbers() async throws {
        try await withTestClient { client in
            // 1 BOS + 3 bytes + 61 = 65 > 64.
            let response = try await client.post("/v1/completions", json: #"{"prompt":"abc","max_tokens":61}"#)
            let error = try expectAPIError(response, .badRequest, param: "max_tokens")
            let message = try #require(error["message"] as? String)
            #expect(message.contains("64") && message.contains("4") && message.contains("61"))
            #expect(error["code"] as? String == "context_length_exceeded")

            let longPrompt = String(repeating: "x", count: 100)
            let tooLong = try await client.post("/v1/completions", json: #"{"prompt":"\#(longPrompt)"}"#)
            try expectAPIError(tooLong, .badRequest)
        }
    }

    @Test func unknownModelIs404() async throws {
        try await withTestClient { client in
            for (uri, body) in [
                ("/v1/completions", #"{"model":"gpt-4","prompt":"Hi"}"#),
                ("/tokenize", #"{"model":"gpt-4","prompt":"Hi"}"#),
                ("/detokenize", #"{"model":"gpt-4","tokens":[1]}"#),
            ] {
                let response = try await client.post(uri, json: body)
                let error = try expectAPIError(response, .notFound, param: "model")
                #expect(error["code"] as? String == "model_not_found")
            }
        }
    }

    @Test func unknownRouteIs404() async throws {
        try await withTestClient { client in
            try expectAPIError(try await client.execute(uri: "/nope", method: .get), .notFound)
            try expectAPIError(try await client.post("/v1/chat/nothing", json: "{}"), .notFound)
        }
    }

    @Test func wrongMethodIs405() async throws {
        try await withTestClient { client in
            for (uri, method) in [
                ("/v1/completions", HTTPRequest.Method.get), ("/tokenize", .get), ("/detokenize", .put),
                ("/health", .post), ("/v1/completions", .delete),
            ] {
                let response = try await client.execute(uri: uri, method: method)
                try expectAPIError(response, .methodNotAllowed)
                #expect(response.headers[.allow] != nil)
            }
        }
    }

    @Test func oversizedBodyIs413() async throws {
        try await withTestClient { client in
            let prompt = String(repeating: "a", count: JSONBody.maxBytes)
            let response = try await client.post("/v1/completions", json: #"{"prompt":"\#(prompt)"}"#)
            try expectAPIError(response, .contentTooLarge)
        }
    }

    @Test func nonJSONContentTypeIs415() async throws {
        try await withTestClient { client in
            for type in ["text/plain", "multipart/form-data; boundary=x", "application/xml"] {
                let response = try await client.post("/v1/completions", json: #"{"prompt":"Hi"}"#, contentType: type)
                try expectAPIError(response, .unsupportedMediaType)
            }
        }
    }

    @Test func badTokenizeRequestsAre400() async throws {
        try await withTestClient { client in
            for (uri, body, param) in [
                ("/tokenize", "{}", "prompt"),
                ("/tokenize", #"{"prompt":[1,2]}"#, "prompt"),
                ("/tokenize", #"{"prompt":"Hi","add_special_tokens":"no"}"#, "add_special_tokens"),
                ("/detokenize", "{}", "tokens"),
                ("/detokenize", #"{"tokens":"Hi"}"#, "tokens"),
                ("/detokenize", #"{"tokens":[1,-2]}"#, "tokens"),
                ("/detokenize", #"{"tokens":[260]}"#, "tokens"),
                ("/detokenize", #"{"tokens":[1,"a"]}"#, "tokens[1]"),
            ] {
                let response = try await client.post(uri, json: body)
                try expectAPIError(response, .badRequest, param: param)
            }
        }
    }

    @Test func engineFailureIsOpenAIShaped500() async throws {
        struct Boom: Error {}
        struct FailingEngine: CompletionEngine {
            func complete(promptTokens: [Int], maxTokens: Int, stopTokenIds: Set<Int>) async throws -> CompletionResult {
                throw Boom()
            }
        }
        var model = ServedModel.fake()
        model.engine = FailingEngine()
        try await withTestClient(model: model) { client in
            let response = try await client.post("/v1/completions", json: #"{"prompt":"Hi"}"#)
            let error = try expectAPIError(response, .internalServerError)
            #expect(error["type"] as? String == "server_error")
        }
    }
}
