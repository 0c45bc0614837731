import Foundation
import Hummingbird
import HummingbirdTesting
import Model
import Scheduler
import Synchronization
import Testing

@testable import Serve

/// A sequence that fails reaches its client as an error — a 5xx with OpenAI's error body, or a stream's last event
/// `{"error": ...}` before `[DONE]` — never as a finish with reason "length".
struct FailureTests {
    /// Streams one delta per byte of " Pa", then fails.
    struct FailingEngine: GenerationEngine {
        func generate(_ request: GenerationRequest) throws(EngineError) -> AsyncStream<GenerationEvent> {
            AsyncStream { continuation in
                for byte in " Pa".utf8 {
                    continuation.yield(.delta(text: String(decoding: [byte], as: UTF8.self), tokens: [GeneratedToken(token: Int(byte), text: "")]))
                }
                continuation.yield(.failed(GenerationFailure(kind: .engineError, message: "The model failed on this request's step.")))
                continuation.finish()
            }
        }
    }

    static let bodies = [
        ("/v1/completions", #"{"prompt":"Hi","max_tokens":8"#),
        ("/v1/chat/completions", #"{"messages":[{"role":"user","content":"Hi"}],"max_tokens":8"#),
    ]

    @Test(arguments: bodies)
    func aFailedSequenceIsA500OrAStreamErrorEvent(uri: String, body: String) async throws {
        try await withTestClient(model: .fake(engine: FailingEngine())) { client in
            let whole = try await client.post(uri, json: body + "}")
            let error = try expectAPIError(whole, .internalServerError)
            #expect(error["type"] as? String == "server_error")
            #expect(error["code"] as? String == "engine_error")

            let streamed = try await client.post(uri, json: body + #","stream":true}"#)
            let events = try streamed.sseEvents()
            let last = try #require(events.last)
            let streamError = try #require(last["error"] as? [String: Any], "last event: \(last)")
            #expect(streamError["code"] as? String == "engine_error")
            #expect(streamError["message"] as? String == "The model failed on this request's step.")
            let reasons = events.compactMap { ($0["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String }
            #expect(reasons.isEmpty, "a failure reported as a finish: \(reasons)")
        }
    }

    /// Done-when 2 of issue 13 with the real engine: a forward pass that throws at the third step fails the running
    /// sequences — the stream after its first tokens, the whole response as a 500 — and the engine serves on.
    @Test(.enabled(if: EngineFixture.isAvailable, "weights/smol-135m not fetched"), .timeLimit(.minutes(2)))
    func anInjectedForwardFailureReachesTheClients() async throws {
        let fixture = try EngineFixture.shared
        let steps = Atomic<Int>(0)
        let faults = EngineFaults { _ in
            struct InjectedFailure: Error {}
            if steps.wrappingAdd(1, ordering: .relaxed).newValue == 3 { throw InjectedFailure() }
        }
        var config = EngineConfig.forTests
        config.speculation.mode = .off
        let engine = LlamaBatchEngine(model: fixture.model, tokenizer: fixture.tokenizer, config: config, faults: faults)
        defer { engine.shutdown() }
        var request = fixture.request("The quick brown fox", maxTokens: 16)
        request.stopTokenIds = []
        let output = try await fixture.collect(try engine.generate(request))
        #expect(output.failure?.kind == .engineError)
        #expect(output.finishReason == nil)
        #expect(output.tokens.count == 2, "two steps ran before the failing one")

        // The engine goes on: the next request completes.
        let next = try await fixture.collect(try engine.generate(request))
        #expect(next.finishReason == .length && next.tokens.count == 16)
        try await waitUntil { engine.stats?.numRunning == 0 }
        #expect(engine.stats?.kvCacheUsage == 0)
    }
}

/// A client that keeps its connection but stops reading: its stream holds at most `maxBufferedEvents` events, then
/// its sequence is cancelled (batch slot and KV freed) and the stream ends with a slow-client error. The engine
/// never waits for it, so a stream being read beside it runs to completion with the reference tokens.
@Suite(.enabled(if: EngineFixture.isAvailable, "weights/smol-135m not fetched"))
struct SlowClientTests {
    @Test(.timeLimit(.minutes(2)))
    func anUnreadStreamIsBoundedAndCancelledWithoutStallingOthers() async throws {
        let fixture = try EngineFixture.shared
        var config = EngineConfig.forTests
        // Large enough that the stream being read never falls this far behind, even on a loaded machine.
        config.maxBufferedEvents = 64
        config.speculation.mode = .off
        let engine = fixture.makeEngine(config)
        defer { engine.shutdown() }
        var unread = fixture.request("Count to one hundred: 1, 2, 3,", maxTokens: 1000)
        unread.stopTokenIds = []
        let unreadStream = try engine.generate(unread)
        var read = fixture.request("The three primary colors are", maxTokens: 40)
        read.stopTokenIds = []
        let output = try await fixture.collect(try engine.generate(read))
        let alone = try fixture.greedyAlone("The three primary colors are", maxTokens: 40, stopTokenIds: [])
        #expect(output.failure == nil, "the stream being read was failed: \(String(describing: output.failure))")
        #expect(output.tokens == alone.tokens)
        try await waitUntil { engine.stats?.numRunning == 0 }
        #expect(engine.stats?.kvCacheUsage == 0, "the unread sequence still holds blocks")

        let late = try await fixture.collect(unreadStream)
        #expect(late.numDeltas == 64, "buffered beyond the bound: \(late.numDeltas)")
        #expect(late.failure?.kind == .slowClient)
        #expect(late.finishReason == nil)
    }
}
