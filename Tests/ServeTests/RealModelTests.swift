import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing

@testable import Serve

/// End to end with the real SmolLM2-135M weights (fetched by scripts/fetch_weights.sh) on `LlamaBatchEngine`.
@Suite
struct RealModelTests {
    static let weights = ConfigTests.repoRoot.appendingPathComponent("weights/smol-135m")

    @Test func capitalOfFrance() async throws {
        let (model, engine) = try ServedModel.load(name: "smol-135m", directory: Self.weights, engineConfig: .forTests)
        defer { engine.shutdown() }
        try await withTestClient(model: model) { client in
            let response = try await client.post(
                "/v1/completions",
                json: #"{"model":"smol-135m","prompt":"The capital of France is","max_tokens":8,"temperature":0}"#)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let choice = try #require((try response.json()["choices"] as? [[String: Any]])?.first)
            let text = try #require(choice["text"] as? String)
            #expect(text.contains("Paris"), "completion: \(text)")
        }
    }

    @Test func streamingChatThenMetrics() async throws {
        let registry = PrometheusCollectorRegistry()
        let (model, engine) = try ServedModel.load(
            name: "smol-135m", directory: Self.weights, engineConfig: .forTests, metricsFactory: PrometheusMetricsFactory(registry: registry))
        defer { engine.shutdown() }
        let app = buildApplication(model: model, metrics: registry)
        try await app.test(.router) { client in
            let body = #"{"model":"smol-135m","messages":[{"role":"user","content":"What is the capital of France?"}],"max_tokens":12,"temperature":0"#
            let whole = try await client.post("/v1/chat/completions", json: body + "}")
            let message = try #require(try choices(try whole.json())[0]["message"] as? [String: Any])
            let wholeText = try #require(message["content"] as? String)
            #expect(!wholeText.isEmpty)

            let response = try await client.post(
                "/v1/chat/completions", json: body + #","stream":true,"stream_options":{"include_usage":true}}"#)
            let events = try response.sseEvents()
            var streamedText = ""
            for event in events.dropLast() {
                let delta = try #require(try choices(event)[0]["delta"] as? [String: Any])
                streamedText += delta["content"] as? String ?? ""
            }
            #expect(streamedText == wholeText)
            let usage = try #require(usageCounts(events.last?["usage"]))
            #expect((usage["completion_tokens"] ?? 0) > 0)

            let metrics = try await client.execute(uri: "/metrics", method: .get)
            let text = String(buffer: metrics.body)
            for name in [
                "serve_num_requests_running", "serve_num_requests_waiting", "serve_kv_cache_usage_perc",
                "serve_prompt_tokens_total", "serve_time_to_first_token_seconds", "serve_e2e_request_latency_seconds",
            ] {
                #expect(text.contains(name), "missing \(name)")
            }
            let line = try #require(
                text.split(separator: "\n").first { $0.hasPrefix("serve_generation_tokens_total ") }, "\(text)")
            #expect((Double(line.split(separator: " ").last ?? "") ?? 0) > 0, "\(line)")
        }
    }
}
