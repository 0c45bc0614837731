import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Serve

/// Streaming (server-sent events) for both endpoints against the fake engine: framing, chunk shapes,
/// streamed text == non-streamed text, include_usage, n > 1.
@Suite struct StreamingTests {
    @Test func streamedCompletionAddsUpToTheWholeOne() async throws {
        try await withTestClient { client in
            let whole = try await client.post("/v1/completions", json: #"{"prompt":"Hi","max_tokens":5}"#)
            let wholeText = try choices(try whole.json())[0]["text"] as? String
            #expect(wholeText == " Pari")

            let response = try await client.post("/v1/completions", json: #"{"prompt":"Hi","max_tokens":5,"stream":true}"#)
            let events = try response.sseEvents()
            #expect(events.count == 6)
            var text = ""
            var ids = Set<String>()
            for (index, event) in events.enumerated() {
                ids.insert(try #require(event["id"] as? String))
                #expect(event["object"] as? String == "text_completion")
                #expect(event["model"] as? String == "fake-model")
                #expect(event["created"] is Int)
                #expect(event["usage"] == nil)
                let choice = try #require(try choices(event).first)
                #expect(choice["index"] as? Int == 0)
                #expect(choice.keys.contains("logprobs") && choice["logprobs"] is NSNull)
                text += try #require(choice["text"] as? String)
                let isLast = index == events.count - 1
                #expect(isLast ? choice["finish_reason"] as? String == "length" : choice["finish_reason"] is NSNull)
            }
            #expect(ids.count == 1 && ids.first!.hasPrefix("cmpl-"))
            #expect(text == wholeText)
        }
    }

    /// Every chunk lists its keys in the same (sorted) order, so streams read and diff cleanly.
    @Test func chunkKeysComeInSortedOrder() async throws {
        try await withTestClient { client in
            let response = try await client.post(
                "/v1/completions", json: #"{"prompt":"Hi","max_tokens":5,"stream":true,"logprobs":1}"#)
            let chunks = String(buffer: response.body).components(separatedBy: "\n\n").filter { $0.hasPrefix("data: {") }
            #expect(chunks.count == 6)
            for chunk in chunks {
                let choices = try #require(chunk.range(of: #""choices":"#)), created = try #require(chunk.range(of: #""created":"#))
                let id = try #require(chunk.range(of: #""id":"#)), object = try #require(chunk.range(of: #""object":"#))
                #expect(chunk.hasPrefix(#"data: {"choices":"#), "\(chunk)")
                #expect(choices.lowerBound < created.lowerBound && created.lowerBound < id.lowerBound && id.lowerBound < object.lowerBound, "\(chunk)")
            }
        }
    }

    @Test func streamedChatAddsUpToTheWholeOne() async throws {
        let engine = FakeEngine()
        try await withTestClient(model: .fake(engine: engine)) { client in
            let body = #"{"model":"fake-model","messages":[{"role":"user","content":"Hi"}],"temperature":0"#
            let whole = try await client.post("/v1/chat/completions", json: body + "}")
            #expect(whole.status == .ok)
            let json = try whole.json()
            #expect((json["id"] as? String)?.hasPrefix("chatcmpl-") == true)
            #expect(json["object"] as? String == "chat.completion")
            let choice = try choices(json)[0]
            let message = try #require(choice["message"] as? [String: Any])
            #expect(message["role"] as? String == "assistant")
            #expect(message["content"] as? String == " Paris.")
            #expect(choice["finish_reason"] as? String == "stop")
            #expect(choice["logprobs"] is NSNull)
            let usage = try #require(usageCounts(json["usage"]))
            #expect(usage == ["prompt_tokens": 19, "completion_tokens": 8, "total_tokens": 27, "prompt_tokens_details.cached_tokens": 0])

            let response = try await client.post("/v1/chat/completions", json: body + #","stream":true}"#)
            let events = try response.sseEvents()
            #expect(events.count == 1 + 7 + 1)
            var content = ""
            for (index, event) in events.enumerated() {
                #expect(event["object"] as? String == "chat.completion.chunk")
                #expect((event["id"] as? String)?.hasPrefix("chatcmpl-") == true)
                let choice = try choices(event)[0]
                let delta = try #require(choice["delta"] as? [String: Any])
                if index == 0 {
                    #expect(delta["role"] as? String == "assistant")
                } else {
                    #expect(delta["role"] == nil)
                }
                content += delta["content"] as? String ?? ""
                let isLast = index == events.count - 1
                #expect(isLast ? choice["finish_reason"] as? String == "stop" : choice["finish_reason"] is NSNull)
                if isLast { #expect(delta.isEmpty) }
            }
            #expect(content == message["content"] as? String)
        }
        // The template's text, encoded without BOS.
        #expect(engine.prompts.first == Array("user: Hi\nassistant:".utf8).map(Int.init))
        #expect(engine.requests.first?.sampling.temperature == 0)
    }

    /// The engine's count of prompt tokens read from the prefix cache is OpenAI's
    /// `usage.prompt_tokens_details.cached_tokens`, in whole responses and in a stream's usage chunk.
    @Test func cachedPromptTokensAreReported() async throws {
        try await withTestClient(model: .fake(engine: FakeEngine(cachedPromptTokens: 2))) { client in
            for (uri, body) in [
                ("/v1/completions", #"{"prompt":"Hello","max_tokens":3"#),
                ("/v1/chat/completions", #"{"messages":[{"role":"user","content":"Hi"}],"max_tokens":3"#),
            ] {
                let whole = try await client.post(uri, json: body + "}")
                #expect(usageCounts(try whole.json()["usage"])?["prompt_tokens_details.cached_tokens"] == 2)
                let streamed = try await client.post(
                    uri, json: body + #","stream":true,"stream_options":{"include_usage":true}}"#)
                let last = try #require(try streamed.sseEvents().last)
                #expect(usageCounts(last["usage"])?["prompt_tokens_details.cached_tokens"] == 2)
            }
        }
    }

    @Test func includeUsageAddsAFinalUsageChunk() async throws {
        try await withTestClient { client in
            for (uri, body) in [
                ("/v1/completions", #"{"prompt":"Hi","max_tokens":3,"#),
                ("/v1/chat/completions", #"{"messages":[{"role":"user","content":"Hi"}],"max_tokens":3,"#),
            ] {
                let response = try await client.post(
                    uri, json: body + #""stream":true,"stream_options":{"include_usage":true}}"#)
                let events = try response.sseEvents()
                let last = try #require(events.last)
                #expect((last["choices"] as? [Any])?.isEmpty == true)
                let usage = try #require(usageCounts(last["usage"]))
                #expect(usage["completion_tokens"] == 3)
                #expect(usage["total_tokens"] == usage["prompt_tokens"]! + 3)
                for event in events.dropLast() {
                    #expect(event.keys.contains("usage") && event["usage"] is NSNull)
                }
            }
        }
    }

    /// Predicted Outputs: the request's prediction reaches the engine as tokens, and OpenAI's
    /// `completion_tokens_details` come back in the response and in the stream's usage chunk.
    @Test func predictionReachesTheEngineAndUsageReportsIt() async throws {
        let engine = FakeEngine()
        try await withTestClient(model: .fake(engine: engine)) { client in
            let body = #"{"messages":[{"role":"user","content":"Hi"}],"max_tokens":7,"prediction":{"type":"content","content":[{"type":"text","text":" Pa"},{"type":"text","text":"ris!!"}]},"#
            let whole = try await client.post("/v1/chat/completions", json: body + #""stream":false}"#)
            #expect(engine.requests.last?.predictionTokens == Array(" Paris!!".utf8).map(Int.init))
            let usage = try #require(try whole.json()["usage"] as? [String: Any])
            let details = try #require(usage["completion_tokens_details"] as? [String: Int])
            #expect(details == ["accepted_prediction_tokens": 6, "rejected_prediction_tokens": 2])

            let streamed = try await client.post(
                "/v1/chat/completions", json: body + #""stream":true,"stream_options":{"include_usage":true}}"#)
            let last = try #require(try streamed.sseEvents().last)
            let streamedUsage = try #require(last["usage"] as? [String: Any])
            #expect(streamedUsage["completion_tokens_details"] as? [String: Int] == details)

            let plain = try await client.post("/v1/completions", json: #"{"prompt":"Hi","max_tokens":3}"#)
            #expect((try plain.json()["usage"] as? [String: Any])?["completion_tokens_details"] == nil)
        }
    }

    @Test func nChoicesStreamInterleavedAndWhole() async throws {
        let engine = FakeEngine()
        try await withTestClient(model: .fake(engine: engine)) { client in
            let whole = try await client.post("/v1/completions", json: #"{"prompt":"Hi","max_tokens":4,"n":2,"seed":7}"#)
            let wholeChoices = try choices(try whole.json())
            #expect(wholeChoices.map { $0["index"] as? Int } == [0, 1])
            #expect(wholeChoices.allSatisfy { $0["text"] as? String == " Par" })
            let usage = try #require(usageCounts(try whole.json()["usage"]))
            #expect(usage["completion_tokens"] == 8)
            #expect(usage["prompt_tokens"] == 3)

            let response = try await client.post(
                "/v1/chat/completions", json: #"{"messages":[{"role":"user","content":"Hi"}],"n":2,"stream":true}"#)
            var texts = ["", ""]
            var finishes = [String?](repeating: nil, count: 2)
            for event in try response.sseEvents() {
                let choice = try choices(event)[0]
                let index = try #require(choice["index"] as? Int)
                texts[index] += (choice["delta"] as? [String: Any])?["content"] as? String ?? ""
                if let reason = choice["finish_reason"] as? String { finishes[index] = reason }
            }
            #expect(texts == [" Paris.", " Paris."])
            #expect(finishes == ["stop", "stop"])
        }
        // Seeded choices differ in seed so they are not copies of each other.
        // Same seed, each choice its own random stream.
        #expect(engine.requests.prefix(2).map(\.sampling.seed) == [7, 7])
        #expect(engine.requests.prefix(2).map(\.sampling.choiceIndex) == [0, 1])
    }

    @Test func severalPromptsGiveSeveralChoices() async throws {
        try await withTestClient { client in
            for (prompt, expected) in [
                (#"["Hi","Yo"]"#, ["Hi P", "Hi P", "Yo P", "Yo P"]),
                ("[[72,105],[89]]", ["Hi P", "Hi P", "Y P", "Y P"]),
            ] {
                let response = try await client.post(
                    "/v1/completions", json: #"{"prompt":\#(prompt),"max_tokens":2,"n":2,"echo":true}"#)
                let texts = try choices(try response.json()).map { $0["text"] as? String }
                #expect(texts == expected)
            }
        }
    }

    @Test func echoPrependsThePrompt() async throws {
        try await withTestClient { client in
            let whole = try await client.post("/v1/completions", json: #"{"prompt":"Hi","max_tokens":3,"echo":true}"#)
            #expect(try choices(try whole.json())[0]["text"] as? String == "Hi Pa")
            let onlyEcho = try await client.post("/v1/completions", json: #"{"prompt":"Hi","max_tokens":0,"echo":true}"#)
            #expect(try choices(try onlyEcho.json())[0]["text"] as? String == "Hi")

            let streamed = try await client.post(
                "/v1/completions", json: #"{"prompt":"Hi","max_tokens":3,"echo":true,"stream":true}"#)
            let text = try streamed.sseEvents().map { try choices($0)[0]["text"] as? String ?? "" }.joined()
            #expect(text == "Hi Pa")
        }
    }

    @Test func stopAndSamplingParametersReachTheEngine() async throws {
        let engine = FakeEngine()
        try await withTestClient(model: .fake(engine: engine)) { client in
            let response = try await client.post(
                "/v1/completions",
                json: #"""
                    {"prompt":"Hi","stop":["ri","zz"],"temperature":0.5,"top_p":0.9,"top_k":-1,"min_p":0.1,
                     "presence_penalty":0.5,"frequency_penalty":-0.5,"repetition_penalty":1.2,"seed":42,
                     "user":"someone","unknown_field":{"x":1}}
                    """#)
            let choice = try choices(try response.json())[0]
            #expect(choice["text"] as? String == " Pa")
            #expect(choice["finish_reason"] as? String == "stop")

            let single = try await client.post("/v1/chat/completions", json: #"{"messages":[{"role":"user","content":"Hi"}],"stop":"is","ignore_eos":true,"max_tokens":20}"#)
            #expect(try choices(try single.json())[0]["finish_reason"] as? String == "stop")
        }
        let request = try #require(engine.requests.first)
        #expect(request.stopStrings == ["ri", "zz"])
        #expect(request.stopTokenIds == [FakeCodec.eos])
        #expect(request.sampling.temperature == 0.5)
        #expect(request.sampling.topP == 0.9)
        #expect(request.sampling.topK == 0)
        #expect(request.sampling.minP == 0.1)
        #expect(request.sampling.presencePenalty == 0.5)
        #expect(request.sampling.frequencyPenalty == -0.5)
        #expect(request.sampling.repetitionPenalty == 1.2)
        #expect(request.sampling.seed == 42)
        #expect(request.sampling.numTopLogprobs == nil)
        #expect(engine.requests[1].stopStrings == ["is"])
        #expect(engine.requests[1].stopTokenIds.isEmpty)
        #expect(engine.requests[1].maxTokens == 20)
    }

    @Test func chatDefaultMaxTokensFillsTheContext() async throws {
        let engine = FakeEngine()
        try await withTestClient(model: .fake(engine: engine)) { client in
            let response = try await client.post(
                "/v1/chat/completions",
                json: #"{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi"}]}]}"#)
            #expect(response.status == .ok)
            let limited = try await client.post(
                "/v1/chat/completions", json: #"{"messages":[{"role":"user","content":"Hi"}],"max_completion_tokens":2}"#)
            #expect(try choices(try limited.json())[0]["finish_reason"] as? String == "length")
        }
        let prompt = "system: Be brief.\nuser: Hi\nassistant:"
        #expect(engine.prompts.first == Array(prompt.utf8).map(Int.init))
        #expect(engine.requests.first?.maxTokens == 64 - prompt.utf8.count)
        #expect(engine.requests.last?.maxTokens == 2)
    }
}
