import Foundation
import Hummingbird
import Model
import Synchronization
import Tokenizer

/// The request decoder as a fuzz target: any bytes POSTed to an endpoint end in a 200 or in an `APIError` that is a
/// 4xx with a message, never another error, a 5xx or a trap. The controllers run for real, with SmolLM2's tokenizer
/// and chat template; only the engine is a stand-in (`InstantEngine`), which also checks that nothing invalid gets
/// past validation. Built with -DFUZZING, `serve` is this fuzzer (ServeMain, scripts/fuzz.sh request); in every
/// build the code compiles, and `RequestFuzzRegressionTests` replays saved inputs through it.
enum RequestFuzzing {
    /// An input's first byte picks the route (modulo the count); the rest is the body.
    static let routes = ["/v1/chat/completions", "/v1/completions", "/tokenize", "/detokenize"]

    /// `<repo>/Sources/Serve/RequestFuzzing.swift` → `<repo>/weights/smol-135m`.
    static let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("weights/smol-135m")

    /// SmolLM2's tokenizer behind an engine that answers at once, loaded on first use.
    static let model: ServedModel = {
        do {
            let tokenizer = try Tokenizer(directory: weights)
            // SmolLM2-135M's context; validation needs no more of the model than these numbers.
            let maxModelLen = 8192
            return ServedModel(
                name: "smol-135m", limits: RequestLimits(maxModelLen: maxModelLen), vocabSize: tokenizer.vocabularySize,
                stopTokenIds: tokenizer.eosTokenId.map { [$0] } ?? [], codec: tokenizer,
                engine: InstantEngine(codec: tokenizer, vocabSize: tokenizer.vocabularySize, maxModelLen: maxModelLen))
        } catch {
            fatalError("cannot load the tokenizer of \(weights.path) (scripts/fetch_weights.sh fetches it): \(error)")
        }
    }()

    /// libFuzzer's callback runs on the main thread, outside the cooperative pool, so it may block on the async
    /// controllers. A broken invariant traps, so libFuzzer saves the input.
    static func check(_ input: UnsafeRawBufferPointer) {
        let bytes = Array(input)
        let semaphore = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        Task.detached {
            let failure = await failure(input: bytes)
            outcome.failure.withLock { $0 = failure }
            semaphore.signal()
        }
        semaphore.wait()
        if let failure = outcome.failure.withLock({ $0 }) { preconditionFailure(failure) }
    }

    private final class Outcome: Sendable {
        let failure = Mutex<String?>(nil)
    }

    /// What broke the invariant for one fuzz input (route byte, then body), or nil.
    static func failure(input: [UInt8]) async -> String? {
        guard let first = input.first else { return nil }
        if case .failure(let failure) = await status(path: routes[Int(first) % routes.count], body: Array(input.dropFirst())) {
            return failure.description
        }
        return nil
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The status `body` POSTed as JSON to `path` ends in (200, or a 4xx `APIError`'s), or what broke the invariant.
    static func status(path: String, body: [UInt8]) async -> Result<Int, Failure> {
        let request = Request(
            head: HTTPRequest(method: .post, scheme: "http", authority: "localhost", path: path,
                              headerFields: [.contentType: "application/json"]),
            body: RequestBody(buffer: ByteBuffer(bytes: body)))
        let response: Response
        do {
            switch path {
            case "/v1/chat/completions": response = try await ChatCompletionsController<BasicRequestContext>(model: model).complete(request)
            case "/v1/completions": response = try await CompletionsController<BasicRequestContext>(model: model).complete(request)
            case "/tokenize": response = try await TokenizeController<BasicRequestContext>(model: model).tokenize(request)
            case "/detokenize": response = try await TokenizeController<BasicRequestContext>(model: model).detokenize(request)
            default: return .failure(Failure(description: "no controller for \(path)"))
            }
        } catch let error as APIError {
            guard (400..<500).contains(error.status.code), !error.message.isEmpty else {
                return .failure(Failure(description: "\(path): APIError \(error.status.code) '\(error.message)' is not a 4xx with a message"))
            }
            return .success(error.status.code)
        } catch {
            return .failure(Failure(description: "\(path): threw \(type(of: error)), not an APIError: \(error)"))
        }
        guard response.status == .ok else { return .failure(Failure(description: "\(path): status \(response.status.code)")) }
        if let failure = await bodyFailure(response, path: path) { return .failure(Failure(description: failure)) }
        return .success(200)
    }

    /// A 200's body must be one JSON value, or (a stream) `data:` events of JSON ending in `[DONE]`, none an error:
    /// the engine here never fails, so an error event means the controller broke.
    private static func bodyFailure(_ response: Response, path: String) async -> String? {
        let collector = BodyCollector()
        do { try await response.body.write(collector) } catch { return "\(path): writing the body threw \(error)" }
        let text = String(buffer: collector.storage.buffer)
        guard response.headers[.contentType] == "text/event-stream" else {
            let isJSON = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil
            return isJSON ? nil : "\(path): body is not JSON: \(text)"
        }
        guard collector.storage.isFinished, text.hasSuffix("data: [DONE]\n\n") else {
            return "\(path): stream does not end with [DONE]: \(text)"
        }
        for event in text.split(separator: "\n\n").dropLast() {
            guard event.hasPrefix("data: {"), !event.hasPrefix("data: {\"error\""),
                (try? JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8))) != nil
            else { return "\(path): bad stream event: \(event)" }
        }
        return nil
    }

    private struct BodyCollector: ResponseBodyWriter {
        final class Storage {
            var buffer = ByteBuffer()
            var isFinished = false
        }
        let storage = Storage()

        func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            storage.buffer.writeBuffer(&buffer)
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws { storage.isFinished = true }
    }
}

/// Answers every request at once with up to two tokens (" Paris."), with logprobs when asked, so each input costs
/// only the HTTP layer's work. A request that could never have been valid for a real model fails it instead, which
/// the controller turns into a 5xx or an error event: the fuzzer reports that.
struct InstantEngine: GenerationEngine {
    let tokens: [GeneratedToken]
    let vocabSize: Int
    let maxModelLen: Int

    init(codec: any TokenCodec, vocabSize: Int, maxModelLen: Int) {
        tokens = codec.encode(" Paris.", addSpecialTokens: false).prefix(2).map {
            GeneratedToken(token: $0, text: codec.decode([$0], skipSpecialTokens: false), logprob: nil)
        }
        self.vocabSize = vocabSize
        self.maxModelLen = maxModelLen
    }

    func generate(_ request: GenerationRequest) throws(EngineError) -> AsyncStream<GenerationEvent> {
        let events: [GenerationEvent]
        if let problem = problem(request) {
            events = [.failed(GenerationFailure(kind: .engineError, message: "invalid request reached the engine: \(problem)"))]
        } else {
            let generated = tokens.prefix(request.maxTokens).map { token in
                var token = token
                if let numTop = request.sampling.numTopLogprobs {
                    token.logprob = -0.5
                    token.topLogprobs = (0..<numTop).map { TokenLogprob(token: $0, logprob: -1 - Float($0)) }
                }
                return token
            }
            let usage = GenerationUsage(promptTokens: request.promptTokens.count, completionTokens: generated.count)
            events = [
                .delta(text: generated.map(\.text).joined(), tokens: generated),
                .finished(generated.count < request.maxTokens ? .stop : .length, usage),
            ]
        }
        return AsyncStream { continuation in
            for event in events { continuation.yield(event) }
            continuation.finish()
        }
    }

    /// What the real engine could not run: ids outside the vocabulary, a sequence longer than the context, sampling
    /// parameters outside their ranges.
    private func problem(_ request: GenerationRequest) -> String? {
        let sampling = request.sampling
        if request.promptTokens.isEmpty { return "empty prompt" }
        if let id = (request.promptTokens + (request.predictionTokens ?? [])).first(where: { !(0..<vocabSize).contains($0) }) {
            return "token id \(id)"
        }
        if request.maxTokens < 0 || request.maxTokens > maxModelLen - request.promptTokens.count {
            return "\(request.promptTokens.count) prompt tokens + max_tokens \(request.maxTokens) > \(maxModelLen)"
        }
        if !(0...20).contains(sampling.numTopLogprobs ?? 0) { return "top logprobs \(sampling.numTopLogprobs ?? 0)" }
        if !(0...2).contains(sampling.temperature) || !(sampling.topP > 0 && sampling.topP <= 1) || sampling.topK < 0
            || !(0...1).contains(sampling.minP) || !(sampling.repetitionPenalty > 0)
        {
            return "sampling \(sampling)"
        }
        if sampling.logitBias.contains(where: { !(0..<vocabSize).contains($0.key) || !$0.value.isFinite }) {
            return "logit_bias \(sampling.logitBias)"
        }
        return nil
    }
}
