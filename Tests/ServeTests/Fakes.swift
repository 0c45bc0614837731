import Model
import Synchronization
import Testing
import Tokenizer

@testable import Serve

/// Byte-level codec: ids 0...255 are UTF-8 bytes, 256 is BOS, 257 is EOS.
struct FakeCodec: TokenCodec {
    static let bos = 256
    static let eos = 257
    static let vocabSize = 260

    func encode(_ text: String, addSpecialTokens: Bool) -> [Int] {
        (addSpecialTokens ? [Self.bos] : []) + text.utf8.map(Int.init)
    }

    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            switch id {
            case 0..<256: bytes.append(UInt8(id))
            case Self.bos where !skipSpecialTokens: bytes += Array("<s>".utf8)
            case Self.eos where !skipSpecialTokens: bytes += Array("</s>".utf8)
            default: break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// "role: content\n" per message, then "assistant:" with the generation prompt.
    func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String {
        messages.map { "\($0.role): \($0.content)\n" }.joined() + (addGenerationPrompt ? "assistant:" : "")
    }
}

/// "Generates" the bytes of `continuation` one token per delta, then EOS: truncated by `maxTokens` ->
/// "length"; cut before the first stop string or at the end -> "stop". With no stop token ids (ignore_eos)
/// it repeats `continuation` up to `maxTokens`. Each token has logprob -0.5 and alternatives "a", "b", ...
/// with logprobs -1, -2, ... when asked for. Records each request.
final class FakeEngine: GenerationEngine {
    let continuation: String
    let error: EngineError?
    /// Reported as each request's prompt tokens found in the prefix cache.
    let cachedPromptTokens: Int
    private let calls = Mutex<[GenerationRequest]>([])

    init(continuation: String = " Paris.", error: EngineError? = nil, cachedPromptTokens: Int = 0) {
        self.continuation = continuation
        self.error = error
        self.cachedPromptTokens = cachedPromptTokens
    }

    var requests: [GenerationRequest] { calls.withLock { $0 } }
    var prompts: [[Int]] { requests.map(\.promptTokens) }

    func generate(_ request: GenerationRequest) throws(EngineError) -> AsyncStream<GenerationEvent> {
        if let error { throw error }
        calls.withLock { $0.append(request) }
        let bytes = Array(continuation.utf8)
        var generated: [UInt8]
        var reason = GenerationFinishReason.stop
        var hitEos = false
        if request.stopTokenIds.isEmpty {
            generated = (0..<request.maxTokens).map { bytes[$0 % bytes.count] }
            reason = .length
        } else if request.maxTokens <= bytes.count {
            generated = Array(bytes.prefix(request.maxTokens))
            reason = .length
        } else {
            #expect(request.stopTokenIds.contains(FakeCodec.eos))
            generated = bytes
            hitEos = true
        }
        let numSampled = generated.count + (hitEos ? 1 : 0)
        var text = String(decoding: generated, as: UTF8.self)
        if let cut = request.stopStrings.compactMap({ text.range(of: $0)?.lowerBound }).min() {
            text = String(text[..<cut])
            generated = Array(text.utf8)
            reason = .stop
        }
        let wantsLogprobs = request.sampling.numTopLogprobs != nil
        let numTop = request.sampling.numTopLogprobs ?? 0
        var events: [GenerationEvent] = generated.map { byte in
            .delta(
                text: String(decoding: [byte], as: UTF8.self),
                tokens: [
                    GeneratedToken(
                        token: Int(byte), text: String(decoding: [byte], as: UTF8.self),
                        logprob: wantsLogprobs ? -0.5 : nil,
                        topLogprobs: (0..<numTop).map { TokenLogprob(token: 97 + $0, logprob: -1 - Float($0)) })
                ])
        }
        var usage = GenerationUsage(
            promptTokens: request.promptTokens.count, completionTokens: numSampled, cachedPromptTokens: cachedPromptTokens)
        if let prediction = request.predictionTokens {
            // As the engine counts them: the prediction's tokens the output took, and the rest.
            let accepted = zip(prediction, generated).prefix { $0 == Int($1) }.count
            usage.acceptedPredictionTokens = accepted
            usage.rejectedPredictionTokens = prediction.count - accepted
        }
        events.append(.finished(reason, usage))
        return AsyncStream { continuation in
            for event in events { continuation.yield(event) }
            continuation.finish()
        }
    }
}

extension ServedModel {
    static func fake(engine: any GenerationEngine = FakeEngine(), maxModelLen: Int = 64) -> ServedModel {
        ServedModel(
            name: "fake-model", limits: RequestLimits(maxModelLen: maxModelLen), vocabSize: FakeCodec.vocabSize,
            stopTokenIds: [FakeCodec.eos], codec: FakeCodec(), engine: engine)
    }
}
