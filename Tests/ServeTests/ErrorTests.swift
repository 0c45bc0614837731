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
        (#"{"prompt":["a",1]}"#, "prompt"),
        (#"{"prompt":[[1],[]]}"#, "prompt"),
        (#"{"prompt":[[1],[300]]}"#, "prompt[1]"),
        (#"{"prompt":[]}"#, "prompt"),
        (#"{"prompt":[1.5]}"#, "prompt"),
        (#"{"prompt":[-1]}"#, "prompt"),
        (#"{"prompt":[260]}"#, "prompt"),
        (#"{"prompt":"Hi","max_tokens":0}"#, "max_tokens"),
        (#"{"prompt":"Hi","max_tokens":-5}"#, "max_tokens"),
        (#"{"prompt":"Hi","max_tokens":"8"}"#, "max_tokens"),
        (#"{"prompt":"Hi","max_tokens":2.5}"#, nil),
        (#"{"prompt":"Hi","max_tokens":1e30}"#, nil),
        (#"{"prompt":"Hi","max_tokens":9223372036854775807}"#, "max_tokens"),
        (#"{"prompt":"Hi","temperature":2.5}"#, "temperature"),
        (#"{"prompt":"Hi","temperature":-1}"#, "temperature"),
        (#"{"prompt":"Hi","temperature":"hot"}"#, "temperature"),
        (#"{"prompt":"Hi","top_p":0}"#, "top_p"),
        (#"{"prompt":"Hi","top_p":1.5}"#, "top_p"),
        (#"{"prompt":"Hi","top_k":-2}"#, "top_k"),
        (#"{"prompt":"Hi","top_k":1.5}"#, nil),
        (#"{"prompt":"Hi","min_p":1.5}"#, "min_p"),
        (#"{"prompt":"Hi","n":0}"#, "n"),
        (#"{"prompt":"Hi","n":9}"#, "n"),
        (#"{"prompt":"Hi","n":"2"}"#, "n"),
        (#"{"prompt":["a","b","c","d","e","f","g","h","i"],"n":8}"#, "prompt"),
        (#"{"prompt":"Hi","presence_penalty":2.5}"#, "presence_penalty"),
        (#"{"prompt":"Hi","frequency_penalty":-3}"#, "frequency_penalty"),
        (#"{"prompt":"Hi","repetition_penalty":0}"#, "repetition_penalty"),
        (#"{"prompt":"Hi","logprobs":21}"#, "logprobs"),
        (#"{"prompt":"Hi","logprobs":-1}"#, "logprobs"),
        (#"{"prompt":"Hi","logprobs":true}"#, "logprobs"),
        (#"{"prompt":"Hi","stop":["a","b","c","d","e"]}"#, "stop"),
        (#"{"prompt":"Hi","stop":5}"#, "stop"),
        (#"{"prompt":"Hi","stop":["a",5]}"#, "stop"),
        (#"{"prompt":"Hi","echo":"yes"}"#, "echo"),
        (#"{"prompt":"Hi","ignore_eos":1}"#, "ignore_eos"),
        (#"{"prompt":"Hi","seed":"x"}"#, "seed"),
        (#"{"prompt":"Hi","stream_options":{"include_usage":true}}"#, "stream_options"),
        (#"{"prompt":"Hi","stream":true,"stream_options":{"include_usage":"y"}}"#, "stream_options.include_usage"),
        (#"{"prompt":"Hi","user":5}"#, "user"),
        (#"{"prompt":"Hi","x":"# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}", nil),
        (#"{"prompt":"Hi","stream":"yes"}"#, "stream"),
        (#"{"prompt":"Hi","model":5}"#, "model"),
        (#"{"prompt":"Hi","prediction":"Paris"}"#, "prediction"),
        (#"{"prompt":"Hi","prediction":{"type":"text","content":"Paris"}}"#, "prediction.type"),
        (#"{"prompt":"Hi","prediction":{"type":"content","content":5}}"#, "prediction.content"),
        (#"{"prompt":"Hi","prediction":{"type":"content","content":[{"type":"image_url"}]}}"#, "prediction.content[0]"),
        (#"{"prompt":"Hi","prediction":{"type":"content","content":"\#(String(repeating: "x", count: 65))"}}"#, "prediction"),
        (#"{"prompt":"Hi","speculate":"no"}"#, "speculate"),
        (#"{"prompt":"Hi","logit_bias":{"300":5}}"#, "logit_bias"),
        (#"{"prompt":"Hi","logit_bias":{"-1":5}}"#, "logit_bias"),
        (#"{"prompt":"Hi","logit_bias":{"abc":5}}"#, "logit_bias"),
        (#"{"prompt":"Hi","logit_bias":{"72":101}}"#, "logit_bias"),
        (#"{"prompt":"Hi","logit_bias":{"72":"up"}}"#, "logit_bias[72]"),
        (#"{"prompt":"Hi","best_of":3}"#, "best_of"),
        (#"{"prompt":"Hi","suffix":" the end"}"#, "suffix"),
        (#"{"prompt":"Hi","min_tokens":4}"#, "min_tokens"),
        (#"{"prompt":"Hi","guided_json":{"type":"object"}}"#, "guided_json"),
        (#"{"prompt":"Hi","use_beam_search":true}"#, "use_beam_search"),
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

    /// (body, param) pairs that must give 400 on /v1/chat/completions.
    static let badChats: [(String, String?)] = [
        ("{}", "messages"),
        (#"{"messages":[]}"#, "messages"),
        (#"{"messages":"Hi"}"#, "messages"),
        (#"{"messages":[{"content":"Hi"}]}"#, "messages[0].role"),
        (#"{"messages":[{"role":"wizard","content":"Hi"}]}"#, "messages[0].role"),
        (#"{"messages":[{"role":"user","content":"Hi"},{"role":"tool","content":"x"}]}"#, "messages[1].role"),
        (#"{"messages":[{"role":"user","content":5}]}"#, "messages[0].content"),
        (#"{"messages":[{"role":"user","content":null}]}"#, "messages[0].content"),
        (#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}"#,
         "messages[0].content[0]"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"max_tokens":0}"#, "max_tokens"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"max_completion_tokens":-1}"#, "max_completion_tokens"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"max_tokens":1000}"#, "max_tokens"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"logprobs":"yes"}"#, "logprobs"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"logprobs":true,"top_logprobs":21}"#, "top_logprobs"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"top_logprobs":2}"#, "top_logprobs"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"temperature":9}"#, "temperature"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"n":100}"#, "n"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"stream":"true"}"#, "stream"),
        (#"{"messages":[{"role":"user","content":"\#(String(repeating: "x", count: 80))"}]}"#, "messages"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":{"name":"f"}}]}"#, "tools"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"tool_choice":"required"}"#, "tool_choice"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"functions":[{"name":"f"}]}"#, "functions"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"function_call":"auto"}"#, "function_call"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"modalities":["text","audio"]}"#, "modalities"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"audio":{"voice":"alloy","format":"wav"}}"#, "audio"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"high"}"#, "reasoning_effort"),
        (#"{"messages":[{"role":"user","content":"Hi"}],"logit_bias":{"1000":1}}"#, "logit_bias"),
    ]

    @Test(arguments: badChats)
    func badChatIs400(body: String, param: String?) async throws {
        let engine = FakeEngine()
        try await withTestClient(model: .fake(engine: engine)) { client in
            let response = try await client.post("/v1/chat/completions", json: body)
            try expectAPIError(response, .badRequest, param: param)
        }
        #expect(engine.prompts.isEmpty)
    }

    /// The whole battery against one app, then a good request still answers.
    @Test func serverAnswersAfterTheBattery() async throws {
        try await withTestClient { client in
            for (body, _) in Self.badCompletions {
                let response = try await client.post("/v1/completions", json: body)
                #expect(response.status == .badRequest, "body: \(body)")
            }
            for (body, _) in Self.badChats {
                let response = try await client.post("/v1/chat/completions", json: body)
                #expect(response.status == .badRequest, "body: \(body)")
            }
            let good = try await client.post(
                "/v1/chat/completions", json: #"{"messages":[{"role":"user","content":"Hi"}],"max_tokens":3}"#)
            #expect(good.status == .ok)
            let streamed = try await client.post("/v1/completions", json: #"{"prompt":"Hi","stream":true}"#)
            #expect(try streamed.sseEvents().count == 8)
        }
    }

    /// Fields that ask for nothing this server lacks are accepted: no tools, tool_choice "none", text modality,
    /// best_of 1, an empty suffix, and fields that change nothing in the output.
    @Test func harmlessValuesOfUnsupportedFieldsAreAccepted() async throws {
        try await withTestClient { client in
            let chat = #"{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"tools":[],"tool_choice":"none","#
                + #""modalities":["text"],"parallel_tool_calls":false,"store":false,"metadata":{"a":"b"},"service_tier":"auto"}"#
            let chatStatus = try await client.post("/v1/chat/completions", json: chat).status
            #expect(chatStatus == .ok)
            let completion = #"{"prompt":"Hi","max_tokens":2,"best_of":1,"suffix":"","tools":null,"logit_bias":{}}"#
            let completionStatus = try await client.post("/v1/completions", json: completion).status
            #expect(completionStatus == .ok)
        }
    }

    @Test func invalidUTF8Is400() async throws {
        try await withTestClient { client in
            var body = ByteBuffer(string: #"{"prompt":"caf"#)
            body.writeBytes([0xC3, 0x28, 0xFF])  // a lead byte without its continuation, and a byte UTF-8 never uses
            body.writeString(#""}"#)
            let response = try await client.execute(
                uri: "/v1/completions", method: .post, headers: [.contentType: "application/json"], body: body)
            let error = try expectAPIError(response, .badRequest)
            #expect((error["message"] as? String)?.contains("UTF-8") == true)
        }
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
                ("/v1/chat/completions", #"{"model":"gpt-4","messages":[{"role":"user","content":"Hi"}]}"#),
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
                ("/health", .post), ("/v1/completions", .delete), ("/v1/chat/completions", .get),
                ("/v1/models", .post), ("/metrics", .post),
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

    @Test func shuttingDownEngineIs503() async throws {
        try await withTestClient(model: .fake(engine: FakeEngine(error: .shuttingDown))) { client in
            let response = try await client.post("/v1/chat/completions", json: #"{"messages":[{"role":"user","content":"Hi"}]}"#)
            let error = try expectAPIError(response, .serviceUnavailable)
            #expect(error["type"] as? String == "server_error")
            #expect(response.headers[.retryAfter] != nil)
        }
    }
}
