import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Serve

/// End to end with the real SmolLM2-135M weights (fetched by scripts/fetch_weights.sh).
@Suite struct RealModelTests {
    static let weights = ConfigTests.repoRoot.appendingPathComponent("weights/smol-135m")

    @Test(.enabled(if: ModelResolver.isModelDirectory(weights), "weights/smol-135m not fetched"))
    func capitalOfFrance() async throws {
        let (model, engine) = try ServedModel.load(name: "smol-135m", directory: Self.weights)
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
}
