import Foundation
import Grammar
import Tokenizer

/// Text <-> token ids and chat templates as the HTTP layer uses them; `Tokenizer` conforms.
protocol TokenCodec: Sendable {
    func encode(_ text: String, addSpecialTokens: Bool) -> [Int]
    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String
    /// The model's chat template applied to `messages`; throws when the template cannot render them.
    func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String
}

extension Tokenizer: TokenCodec {}

/// The one model this server serves, with everything the controllers need to validate requests.
struct ServedModel: Sendable {
    /// The name clients must send in `model`.
    var name: String
    /// Longest sequence (prompt + completion) in tokens: the model's context, or less when the KV cache
    /// cannot hold that many tokens for one sequence.
    var maxModelLen: Int
    /// Valid token ids are `0..<vocabSize`.
    var vocabSize: Int
    var stopTokenIds: Set<Int>
    var codec: any TokenCodec
    var engine: any GenerationEngine
    /// Unix time the model was loaded (`created` in /v1/models).
    var created: Int = Int(Date().timeIntervalSince1970)
    /// Compiled `response_format` schemas, by schema text.
    var grammars = GrammarCache()

    /// The grammar `format` asks for (nil for text); 400 naming the schema keyword it cannot enforce.
    func grammar(for format: ResponseFormat) throws(APIError) -> CompiledGrammar? {
        switch format {
        case .text:
            return nil
        case .jsonObject:
            return CompiledGrammar.anyJSONObject
        case .jsonSchema(_, let schemaText):
            do {
                return try grammars.grammar(forSchema: schemaText)
            } catch {
                throw APIError.invalidRequest(
                    "response_format.json_schema.schema cannot be enforced: \(error)", param: "response_format.json_schema.schema",
                    code: error.keyword.map { _ in "unsupported_schema_keyword" })
            }
        }
    }

    /// 404 unless `requested` (when given) is this model's name.
    func checkName(_ requested: String?) throws(APIError) {
        if let requested, requested != name {
            throw APIError.modelNotFound(requested, served: name)
        }
    }

    /// 400 unless every id is in `0..<vocabSize`; `param` names the request field.
    func checkTokenIds(_ ids: [Int], param: String) throws(APIError) {
        if let index = ids.firstIndex(where: { $0 < 0 || $0 >= vocabSize }) {
            throw APIError.invalidRequest(
                "Token id \(ids[index]) at \(param)[\(index)] is outside the vocabulary [0, \(vocabSize)).",
                param: param)
        }
    }

    /// 400 unless `numPromptTokens + maxTokens` fits the context; the message states both numbers.
    func checkContext(numPromptTokens: Int, maxTokens: Int, param: String = "max_tokens") throws(APIError) {
        // Written so that a huge max_tokens cannot overflow.
        guard numPromptTokens <= maxModelLen, maxTokens <= maxModelLen - numPromptTokens else {
            throw APIError.invalidRequest(
                "This model's maximum context length is \(maxModelLen) tokens, but \(numPromptTokens) "
                    + "prompt tokens plus \(param) \(maxTokens) were requested. Shorten the prompt or lower \(param).",
                param: param, code: "context_length_exceeded")
        }
    }
}
