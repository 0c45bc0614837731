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
    /// How many tokens a request may occupy (the engine's).
    var limits: RequestLimits
    /// Valid token ids are `0..<vocabSize`.
    var vocabSize: Int
    var stopTokenIds: Set<Int>
    var codec: any TokenCodec
    var engine: any GenerationEngine
    /// Unix time the model was loaded (`created` in /v1/models).
    var created: Int = Int(Date().timeIntervalSince1970)
    /// Compiled `response_format` schemas, by schema text.
    var grammars = GrammarCache()

    /// The grammar `format` asks for (nil for text); 400 naming the schema keyword it cannot enforce. A schema not
    /// seen before compiles on `grammarCompiler`, one at a time: a large schema takes up to ~1.5 s (a refused one
    /// up to its work budget, ~3 s), which must not hold one of the few threads serving every other request.
    func grammar(for format: ResponseFormat) async throws(APIError) -> CompiledGrammar? {
        switch format {
        case .text:
            return nil
        case .jsonObject:
            return CompiledGrammar.anyJSONObject
        case .jsonSchema(_, let schemaText):
            let grammars = self.grammars
            let outcome =
                if let cached = grammars.cachedGrammar(forSchema: schemaText) {
                    cached
                } else {
                    await withCheckedContinuation { continuation in
                        Self.grammarCompiler.async {
                            continuation.resume(returning: Result { () throws(GrammarError) in try grammars.grammar(forSchema: schemaText) })
                        }
                    }
                }
            switch outcome {
            case .success(let grammar):
                return grammar
            case .failure(let error):
                throw APIError.invalidRequest(
                    "response_format.json_schema.schema cannot be enforced: \(error)", param: "response_format.json_schema.schema",
                    code: error.keyword.map { _ in "unsupported_schema_keyword" })
            }
        }
    }

    private static let grammarCompiler = DispatchQueue(label: "serve.grammar-compiler")

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

    /// Longest sequence (prompt + completion) in tokens.
    var maxModelLen: Int { limits.maxModelLen }

    /// 400 unless the request fits `limits`, naming the field at fault (`promptParam` or `maxTokensParam`).
    func checkLimits(numPromptTokens: Int, maxTokens: Int, promptParam: String, maxTokensParam: String) throws(APIError) {
        do {
            try limits.check(numPromptTokens: numPromptTokens, maxTokens: maxTokens)
        } catch {
            throw APIError(error, promptParam: promptParam, maxTokensParam: maxTokensParam)
        }
    }
}
