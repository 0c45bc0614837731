import Synchronization
import Testing

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
}

/// Always "generates" the bytes of `continuation`, then EOS: truncated by `maxTokens` -> "length",
/// otherwise -> "stop". Records each call.
final class FakeEngine: CompletionEngine {
    let continuation: String
    private let calls = Mutex<[[Int]]>([])

    init(continuation: String = " Paris.") {
        self.continuation = continuation
    }

    var prompts: [[Int]] { calls.withLock { $0 } }

    func complete(promptTokens: [Int], maxTokens: Int, stopTokenIds: Set<Int>) async throws -> CompletionResult {
        calls.withLock { $0.append(promptTokens) }
        let bytes = continuation.utf8.map(Int.init)
        if maxTokens <= bytes.count {
            return CompletionResult(tokens: Array(bytes.prefix(maxTokens)), finishReason: .length)
        }
        #expect(stopTokenIds.contains(FakeCodec.eos))
        return CompletionResult(tokens: bytes, finishReason: .stop)
    }
}

extension ServedModel {
    static func fake(engine: FakeEngine = FakeEngine(), maxModelLen: Int = 64) -> ServedModel {
        ServedModel(
            name: "fake-model", maxModelLen: maxModelLen, vocabSize: FakeCodec.vocabSize,
            stopTokenIds: [FakeCodec.eos], codec: FakeCodec(), engine: engine)
    }
}
