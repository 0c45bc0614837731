import Foundation
import Testing

@testable import Serve

/// Inputs for the request fuzzer (scripts/fuzz.sh request), kept as Tests/Fixtures/fuzz/request-* (first byte the
/// route, the rest the body): what it found and hand-picked edge cases, replayed through its own check.
@Suite(.enabled(if: RequestFuzzInputs.isAvailable, "weights/smol-135m not fetched"))
struct RequestFuzzRegressionTests {
    /// Each saved input ends in a 200 or a 4xx with a message. A hang shows as the time limit; how long the bounded
    /// inputs take is the grammar compiler's work budget (counted in steps, GrammarErrorTests), not a clock here.
    @Test(.timeLimit(.minutes(2)), arguments: RequestFuzzInputs.names)
    func savedInputIsHandled(_ name: String) async throws {
        let input = [UInt8](try Data(contentsOf: RequestFuzzInputs.directory.appendingPathComponent(name)))
        let failure = await RequestFuzzing.failure(input: input)
        #expect(failure == nil, "\(name): \(failure ?? "")")
    }

    /// The fuzzer's first find: a `response_format` schema whose unanchored pattern took 14 s to compile is a 400 once
    /// the grammar compiler's determinization budget is spent (GrammarErrorTests.testAutomatonWorkIsBounded).
    @Test func schemaTooLargeToBuildIs400() async throws {
        let input = [UInt8](try Data(contentsOf: RequestFuzzInputs.directory.appendingPathComponent("request-schema-pattern-slow-dfa")))
        let path = RequestFuzzing.routes[Int(input[0]) % RequestFuzzing.routes.count]
        #expect(try await RequestFuzzing.status(path: path, body: Array(input.dropFirst())).get() == 400)
    }

    /// The harness reaches the controllers' success paths (a harness that answered 400 to everything would pass the
    /// invariant and fuzz nothing), and its engine stand-in sees only valid requests.
    @Test(arguments: [
        ("/v1/chat/completions", #"{"messages":[{"role":"user","content":"Hi"}],"logprobs":true,"top_logprobs":2}"#, 200),
        ("/v1/chat/completions", #"{"messages":[{"role":"user","content":"Hi"}],"stream":true,"n":2}"#, 200),
        ("/v1/completions", #"{"prompt":[1,2],"echo":true,"max_tokens":0,"logprobs":1}"#, 200),
        ("/v1/completions", #"{"prompt":"Hi","response_format":{"type":"json_schema","json_schema":{"schema":{"type":"integer"}}}}"#, 200),
        ("/tokenize", #"{"prompt":"Hello"}"#, 200),
        ("/detokenize", #"{"tokens":[504]}"#, 200),
        ("/v1/completions", #"{"prompt":"Hi","max_tokens":8193}"#, 400),
        ("/v1/chat/completions", #"{"model":"gpt-4","messages":[]}"#, 404),
    ])
    func knownBodies(_ path: String, _ body: String, _ status: Int) async throws {
        #expect(try await RequestFuzzing.status(path: path, body: Array(body.utf8)).get() == status)
    }
}

/// Outside the suite: its traits cannot refer to the suite's own members.
enum RequestFuzzInputs {
    static var isAvailable: Bool {
        FileManager.default.fileExists(atPath: RequestFuzzing.weights.appendingPathComponent("tokenizer.json").path)
    }

    static let directory = ConfigTests.repoRoot.appendingPathComponent("Tests/Fixtures/fuzz")

    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasPrefix("request-") }.sorted()
    }
}
