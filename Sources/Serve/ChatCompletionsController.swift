import Foundation
import Hummingbird

/// `POST /v1/chat/completions`: the chat template applied to `messages`, then generation in OpenAI's
/// chat shape, whole or streamed as server-sent events.
struct ChatCompletionsController<Context: RequestContext> {
    var model: ServedModel

    var endpoints: [Endpoint<Context>] {
        [Endpoint(method: .post, path: "/v1/chat/completions") { request, _ in try await complete(request) }]
    }

    func complete(_ request: Request) async throws -> Response {
        let (body, rawBody) = try await JSONBody.decodeWithBody(ChatCompletionRequest.self, from: request)
        try model.checkName(body.model)
        let messages = try body.chatMessages()
        let wantsLogprobs = body.logprobs ?? false
        if let topLogprobs = body.topLogprobs {
            try GenerationOptions.checkTopLogprobs(topLogprobs, param: "top_logprobs")
            guard wantsLogprobs else {
                throw APIError.invalidRequest("top_logprobs requires logprobs to be true.", param: "top_logprobs")
            }
        }
        let options = try GenerationOptions(
            body.sampling, numTopLogprobs: wantsLogprobs ? body.topLogprobs ?? 0 : nil, vocabularySize: model.vocabSize)
        let grammar = try await options.grammar(body.sampling.responseFormat, body: rawBody, model: model)

        let promptText: String
        do {
            promptText = try model.codec.applyChatTemplate(messages, addGenerationPrompt: true)
        } catch {
            throw APIError.invalidRequest("The chat template cannot render these messages: \(error)", param: "messages")
        }
        // The template already holds BOS when the model wants one.
        let promptTokens = model.codec.encode(promptText, addSpecialTokens: false)
        guard !promptTokens.isEmpty else {
            throw APIError.invalidRequest("The messages render to an empty prompt.", param: "messages")
        }

        let param = body.maxCompletionTokens != nil ? "max_completion_tokens" : "max_tokens"
        let requested = body.maxCompletionTokens ?? body.maxTokens
        if let requested, requested < 1 {
            throw APIError.invalidRequest("\(param) must be at least 1 (got \(requested)).", param: param)
        }
        let maxTokens = requested ?? model.limits.defaultMaxTokens(numPromptTokens: promptTokens.count)
        try model.checkLimits(numPromptTokens: promptTokens.count, maxTokens: maxTokens, promptParam: "messages", maxTokensParam: param)

        let predictionTokens = try options.prediction?.tokens(codec: model.codec, maxModelLen: model.maxModelLen)
        let requests = options.generationRequests(
            promptTokens: promptTokens, maxTokens: maxTokens, stopTokenIds: model.stopTokenIds,
            predictionTokens: predictionTokens, grammar: grammar)
        let streams = try ChoiceStreams(requests, engine: model.engine)
        let reply = Reply(
            id: makeResponseID(prefix: "chatcmpl"), created: Int(Date().timeIntervalSince1970), model: model,
            wantsLogprobs: wantsLogprobs, numPromptTokens: promptTokens.count)
        if options.stream {
            let includeUsage = options.includeUsage
            return ServerSentEvents.response { send in
                try await reply.stream(streams, includeUsage: includeUsage, send: send)
            }
        }
        return try await reply.whole(streams).jsonResponse()
    }

    private struct Reply: Sendable {
        var id: String
        var created: Int
        var model: ServedModel
        var wantsLogprobs: Bool
        var numPromptTokens: Int

        func whole(_ streams: ChoiceStreams) async throws -> ChatCompletionResponse {
            let outputs = try await streams.collect()
            let choices = outputs.enumerated().map { index, output in
                ChatChoice(
                    index: index, message: ChatMessageOutput(content: output.text),
                    logprobs: wantsLogprobs ? ChatLogprobs(output.tokens, codec: model.codec) : nil,
                    finishReason: output.finishReason)
            }
            return ChatCompletionResponse(
                id: id, created: created, model: model.name, choices: choices,
                usage: Usage(promptTokens: numPromptTokens, choices: outputs.map(\.usage)))
        }

        func stream(
            _ streams: ChoiceStreams, includeUsage: Bool, send: (any Encodable) async throws -> Void
        ) async throws {
            func chunk(_ choices: [ChatChunkChoice], usage: Usage? = nil) -> ChatCompletionChunk {
                ChatCompletionChunk(
                    id: id, created: created, model: model.name, choices: choices, usage: usage,
                    encodeNullUsage: includeUsage)
            }
            // Each choice's first chunk carries the role.
            for index in streams.streams.indices {
                try await send(chunk([ChatChunkChoice(index: index, delta: ChatDelta(role: "assistant", content: ""))]))
            }
            var usages: [GenerationUsage] = []
            try await streams.forEachEvent { index, event in
                switch event {
                case .delta(let text, let tokens):
                    guard !text.isEmpty || (wantsLogprobs && !tokens.isEmpty) else { return }
                    let logprobs = wantsLogprobs ? ChatLogprobs(tokens, codec: model.codec) : nil
                    try await send(chunk([ChatChunkChoice(index: index, delta: ChatDelta(content: text), logprobs: logprobs)]))
                case .finished(let reason, let usage):
                    usages.append(usage)
                    try await send(chunk([ChatChunkChoice(index: index, delta: ChatDelta(), finishReason: reason)]))
                case .failed(let failure):
                    throw APIError(failure)
                }
            }
            if includeUsage {
                try await send(
                    chunk([], usage: Usage(promptTokens: numPromptTokens, choices: usages)))
            }
        }
    }
}
