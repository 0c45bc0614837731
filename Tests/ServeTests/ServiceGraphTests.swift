import Foundation
import Hummingbird
import HummingbirdTesting
import ServiceLifecycle
import Testing

@testable import Serve

/// What `serve` runs — `buildApplication` with the engine as a service — started, used over a real socket and shut
/// down gracefully with a stream in flight: the stream ends with a proper last event (its finish, or after the
/// grace period a shutting_down error) and `[DONE]`, new requests get a 503, and the service group returns.
@Suite(.enabled(if: EngineFixture.isAvailable, "weights/smol-135m not fetched"))
struct ServiceGraphTests {
    @Test(.timeLimit(.minutes(2)))
    func gracefulShutdownEndsStreamsInFlightAndReturns() async throws {
        var config = EngineConfig()
        config.shutdownGraceSeconds = 1
        config.kvCacheMemoryBytes = 64 << 20
        let graph = try await LocalServiceGraph.start(config)
        let (port, engine, group, running) = (graph.port, graph.engine, graph.group, graph.running)
        // A generous read timeout: on a loaded machine (parallel suites, other work) events can lag well past 15 s.
        let client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(120)))
        client.connect()
        let body = #"{"prompt":"Count to one thousand: 1, 2, 3,","max_tokens":1400,"ignore_eos":true,"stream":true}"#
        let stream = Task {
            try await client.execute(.init("/v1/completions", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)))
        }
        // Until the stream runs (polled, up to a minute: a loaded machine loads the model and starts slowly).
        for _ in 0..<1200 where engine.stats?.numRunning != 1 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(engine.stats?.numRunning == 1)
        await group.triggerGracefulShutdown()

        let response = try await stream.value
        #expect(response.status == .ok)
        let text = String(buffer: response.body ?? ByteBuffer())
        #expect(text.hasSuffix("data: [DONE]\n\n"), "\(text.suffix(300))")
        let events = text.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: {") }
        let last = try #require(events.last)
        #expect(last.contains(#""code":"shutting_down""#), "\(last)")
        #expect(events.count > 2, "the stream ran before the shutdown")
        try await running.value  // the group returns: engine and server stopped
        #expect(throws: EngineError.shuttingDown) { try engine.generate(GenerationRequest(promptTokens: [1], maxTokens: 1, sampling: .greedy)) }
        try? await client.shutdown()
    }
}
