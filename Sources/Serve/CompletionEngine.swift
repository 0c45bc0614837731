/// Why a completion ended, as reported in `finish_reason`.
enum FinishReason: String, Codable, Sendable {
    /// A stop token was generated (it is not part of the output).
    case stop
    /// `max_tokens` was reached.
    case length
}

struct CompletionResult: Sendable, Equatable {
    var tokens: [Int]
    var finishReason: FinishReason
}

/// What the HTTP layer needs from whatever generates tokens. The real one runs the model on its own
/// thread (`LlamaEngine`); tests use a fake.
protocol CompletionEngine: Sendable {
    /// Greedy completion of `promptTokens`; at most `maxTokens` new tokens, ending early on any of
    /// `stopTokenIds`.
    func complete(promptTokens: [Int], maxTokens: Int, stopTokenIds: Set<Int>) async throws -> CompletionResult
}

/// Text <-> token ids as the HTTP layer uses them; `Tokenizer` conforms.
protocol TokenCodec: Sendable {
    func encode(_ text: String, addSpecialTokens: Bool) -> [Int]
    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String
}

/// The one model this server serves, with everything the controllers need to validate requests.
struct ServedModel: Sendable {
    /// The name clients must send in `model`.
    var name: String
    /// Longest sequence (prompt + completion) in tokens.
    var maxModelLen: Int
    /// Valid token ids are `0..<vocabSize`.
    var vocabSize: Int
    var stopTokenIds: Set<Int>
    var codec: any TokenCodec
    var engine: any CompletionEngine

    /// 404 unless `requested` (when given) is this model's name.
    func checkName(_ requested: String?) throws {
        if let requested, requested != name {
            throw APIError.modelNotFound(requested, served: name)
        }
    }

    /// 400 unless every id is in `0..<vocabSize`; `param` names the request field.
    func checkTokenIds(_ ids: [Int], param: String) throws {
        if let index = ids.firstIndex(where: { $0 < 0 || $0 >= vocabSize }) {
            throw APIError.invalidRequest(
                "Token id \(ids[index]) at \(param)[\(index)] is outside the vocabulary [0, \(vocabSize)).",
                param: param)
        }
    }
}
