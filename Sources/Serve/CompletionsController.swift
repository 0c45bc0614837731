import Foundation
import Hummingbird

/// `POST /v1/completions`: non-streaming, greedy text completion in OpenAI's shape.
struct CompletionsController<Context: RequestContext> {
    var model: ServedModel

    var endpoints: [Endpoint<Context>] {
        [Endpoint(method: .post, path: "/v1/completions") { request, _ in try await complete(request) }]
    }

    func complete(_ request: Request) async throws -> Response {
        let body = try await JSONBody.decode(CompletionRequest.self, from: request)
        try model.checkName(body.model)
        if body.stream == true {
            throw APIError.invalidRequest("Streaming (stream: true) is not yet supported.", param: "stream")
        }
        if let temperature = body.temperature, temperature != 0 {
            throw APIError.invalidRequest(
                "temperature must be 0: only greedy decoding is available until sampling lands (got \(temperature)).",
                param: "temperature")
        }
        let maxTokens = body.maxTokens ?? CompletionRequest.defaultMaxTokens
        guard maxTokens >= 1 else {
            throw APIError.invalidRequest("max_tokens must be at least 1 (got \(maxTokens)).", param: "max_tokens")
        }

        let promptTokens: [Int]
        switch body.prompt {
        case .text(let text): promptTokens = model.codec.encode(text, addSpecialTokens: true)
        case .tokens(let ids):
            try model.checkTokenIds(ids, param: "prompt")
            promptTokens = ids
        }
        guard !promptTokens.isEmpty else {
            throw APIError.invalidRequest("The prompt is empty; send at least one token.", param: "prompt")
        }
        // Written so that a huge max_tokens cannot overflow.
        guard promptTokens.count <= model.maxModelLen, maxTokens <= model.maxModelLen - promptTokens.count else {
            throw APIError.invalidRequest(
                "This model's maximum context length is \(model.maxModelLen) tokens, but \(promptTokens.count) "
                    + "prompt tokens plus max_tokens \(maxTokens) were requested. Shorten the prompt or lower max_tokens.",
                param: "max_tokens", code: "context_length_exceeded")
        }

        let result: CompletionResult
        do {
            result = try await model.engine.complete(
                promptTokens: promptTokens, maxTokens: maxTokens, stopTokenIds: model.stopTokenIds)
        } catch {
            throw APIError.server("Generation failed: \(error)")
        }
        let response = CompletionResponse(
            id: "cmpl-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
            created: Int(Date().timeIntervalSince1970),
            model: model.name,
            choices: [
                .init(
                    index: 0, text: model.codec.decode(result.tokens, skipSpecialTokens: true),
                    finishReason: result.finishReason)
            ],
            usage: .init(promptTokens: promptTokens.count, completionTokens: result.tokens.count))
        return try response.jsonResponse()
    }
}
