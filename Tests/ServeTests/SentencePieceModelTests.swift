import Foundation
import Hummingbird
import HummingbirdTesting
import Model
import Testing
import Tokenizer

@testable import Serve

/// A Llama-2-style directory (config.json + model.safetensors + tokenizer.model + tokenizer_config.json,
/// tiny random weights; made by scripts/make_spm_fixtures.sh) served end to end.
@Suite struct SentencePieceModelTests {
    static let directory = ConfigTests.repoRoot.appendingPathComponent("Tests/Fixtures/spm-llama")

    @Test func resolverAcceptsASentencePieceDirectory() async throws {
        let resolver = ModelResolver(config: ServerConfig(), configDirectory: ConfigTests.repoRoot)
        let resolved = try await resolver.resolve(Self.directory.path)
        #expect(resolved.directory.standardizedFileURL == Self.directory.standardizedFileURL)
    }

    @Test func completesThroughTheHTTPAPI() async throws {
        let (model, engine) = try ServedModel.load(name: "spm-llama", directory: Self.directory, engineConfig: .forTests)
        defer { engine.shutdown() }
        // What the model and tokenizer produce on their own, without HTTP.
        let tokenizer = try Tokenizer(directory: Self.directory)
        let prompt = tokenizer.encode("Hello world")
        #expect(prompt.first == 1, "BOS from add_bos_token")
        let expected = try generateGreedy(
            model: LlamaModel(directory: Self.directory), prompt: prompt, maxNewTokens: 6, stopTokenIds: [2])

        try await withTestClient(model: model) { client in
            let response = try await client.post(
                "/v1/completions", json: #"{"model":"spm-llama","prompt":"Hello world","max_tokens":6,"temperature":0}"#)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let json = try response.json()
            let choice = try #require((json["choices"] as? [[String: Any]])?.first)
            #expect(choice["text"] as? String == tokenizer.decode(expected.tokens, skipSpecialTokens: true))
            let usage = try #require(json["usage"] as? [String: Any])
            #expect(usage["prompt_tokens"] as? Int == prompt.count)
            #expect(usage["completion_tokens"] as? Int == expected.tokens.count)

            let tokenized = try await client.post("/tokenize", json: #"{"model":"spm-llama","prompt":"Hello world"}"#)
            #expect(try tokenized.json()["tokens"] as? [Int] == prompt)
            let detokenized = try await client.post(
                "/detokenize", json: #"{"model":"spm-llama","tokens":\#(Array(prompt.dropFirst()))}"#)
            #expect(try detokenized.json()["prompt"] as? String == "Hello world")
        }
    }
}
