import Hummingbird

/// `POST /tokenize` and `POST /detokenize`, in vLLM's shapes.
struct TokenizeController<Context: RequestContext> {
    var model: ServedModel

    var endpoints: [Endpoint<Context>] {
        [
            Endpoint(method: .post, path: "/tokenize") { request, _ in try await tokenize(request) },
            Endpoint(method: .post, path: "/detokenize") { request, _ in try await detokenize(request) },
        ]
    }

    struct TokenizeRequest: Decodable {
        var model: String?
        var prompt: String
        var addSpecialTokens: Bool?

        enum CodingKeys: String, CodingKey {
            case model, prompt
            case addSpecialTokens = "add_special_tokens"
        }
    }

    struct TokenizeResponse: Encodable {
        var tokens: [Int]
        var count: Int
        var maxModelLen: Int

        enum CodingKeys: String, CodingKey {
            case tokens, count
            case maxModelLen = "max_model_len"
        }
    }

    struct DetokenizeRequest: Decodable {
        var model: String?
        var tokens: [Int]
    }

    struct DetokenizeResponse: Encodable {
        var prompt: String
    }

    func tokenize(_ request: Request) async throws -> Response {
        let body = try await JSONBody.decode(TokenizeRequest.self, from: request)
        try model.checkName(body.model)
        let tokens = model.codec.encode(body.prompt, addSpecialTokens: body.addSpecialTokens ?? true)
        return try TokenizeResponse(tokens: tokens, count: tokens.count, maxModelLen: model.maxModelLen).jsonResponse()
    }

    func detokenize(_ request: Request) async throws -> Response {
        let body = try await JSONBody.decode(DetokenizeRequest.self, from: request)
        try model.checkName(body.model)
        try model.checkTokenIds(body.tokens, param: "tokens")
        return try DetokenizeResponse(prompt: model.codec.decode(body.tokens, skipSpecialTokens: false)).jsonResponse()
    }
}
