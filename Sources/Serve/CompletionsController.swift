import Foundation
import Hummingbird

/// `POST /v1/completions`: text completion in OpenAI's shape, whole or streamed as server-sent events.
struct CompletionsController<Context: RequestContext> {
    var model: ServedModel

    /// Bound on prompts × n of one request.
    static var maxChoices: Int { 64 }

    var endpoints: [Endpoint<Context>] {
        [Endpoint(method: .post, path: "/v1/completions") { request, _ in try await complete(request) }]
    }

    func complete(_ request: Request) async throws -> Response {
        let (body, rawBody) = try await JSONBody.decodeWithBody(CompletionRequest.self, from: request)
        try model.checkName(body.model)
        if let logprobs = body.logprobs { try GenerationOptions.checkTopLogprobs(logprobs, param: "logprobs") }
        let options = try GenerationOptions(body.sampling, numTopLogprobs: body.logprobs, vocabularySize: model.vocabSize)
        let grammar = try await options.grammar(body.sampling.responseFormat, body: rawBody, model: model)
        let echo = body.echo ?? false
        let maxTokens = body.maxTokens ?? CompletionRequest.defaultMaxTokens
        // max_tokens 0 only makes sense when echoing the prompt.
        guard maxTokens >= (echo ? 0 : 1) else {
            throw APIError.invalidRequest(
                "max_tokens must be at least \(echo ? 0 : 1) (got \(maxTokens)).", param: "max_tokens")
        }

        let prompts = try encodePrompts(body.prompt)
        guard prompts.count * options.n <= Self.maxChoices else {
            throw APIError.invalidRequest(
                "At most \(Self.maxChoices) choices per request: \(prompts.count) prompts × n \(options.n) were requested.",
                param: "prompt")
        }
        for prompt in prompts {
            try model.checkLimits(numPromptTokens: prompt.tokens.count, maxTokens: maxTokens, promptParam: "prompt", maxTokensParam: "max_tokens")
        }
        let predictionTokens = try options.prediction?.tokens(codec: model.codec, maxModelLen: model.maxModelLen)
        let requests = prompts.flatMap {
            options.generationRequests(
                promptTokens: $0.tokens, maxTokens: maxTokens, stopTokenIds: model.stopTokenIds,
                predictionTokens: predictionTokens, grammar: grammar)
        }
        let streams = try ChoiceStreams(requests, engine: model.engine)

        let response = Reply(
            id: makeResponseID(prefix: "cmpl"), created: Int(Date().timeIntervalSince1970), model: model,
            prefixes: prompts.map { echo ? $0.text : "" }, n: options.n, wantsLogprobs: body.logprobs != nil,
            numPromptTokens: prompts.reduce(0) { $0 + $1.tokens.count })
        if options.stream {
            let includeUsage = options.includeUsage
            return ServerSentEvents.response { send in
                try await response.stream(streams, includeUsage: includeUsage, send: send)
            }
        }
        return try await response.whole(streams).jsonResponse()
    }

    /// Each prompt's token ids and its text (for echo).
    private func encodePrompts(_ input: PromptInput) throws(APIError) -> [(tokens: [Int], text: String)] {
        var prompts: [(tokens: [Int], text: String)] = []
        switch input {
        case .texts(let texts):
            prompts = texts.map { (model.codec.encode($0, addSpecialTokens: true), $0) }
        case .tokenLists(let lists):
            for (index, ids) in lists.enumerated() {
                try model.checkTokenIds(ids, param: lists.count == 1 ? "prompt" : "prompt[\(index)]")
                prompts.append((ids, model.codec.decode(ids, skipSpecialTokens: true)))
            }
        }
        guard !prompts.isEmpty else {
            throw APIError.invalidRequest("The prompt list is empty; send at least one prompt.", param: "prompt")
        }
        guard prompts.allSatisfy({ !$0.tokens.isEmpty }) else {
            throw APIError.invalidRequest("The prompt is empty; send at least one token.", param: "prompt")
        }
        return prompts
    }

    /// Builds the response (or its chunks) from the choices' events. Choice `k` belongs to prompt `k / n`.
    private struct Reply: Sendable {
        var id: String
        var created: Int
        var model: ServedModel
        /// Text put before each prompt's choices (the prompt with echo, else "").
        var prefixes: [String]
        var n: Int
        var wantsLogprobs: Bool
        var numPromptTokens: Int

        func whole(_ streams: ChoiceStreams) async throws -> CompletionResponse {
            let outputs = try await streams.collect()
            let choices = outputs.enumerated().map { index, output in
                let prefix = prefixes[index / n]
                return CompletionChoice(
                    index: index, text: prefix + output.text,
                    logprobs: wantsLogprobs ? CompletionLogprobs(output.tokens, offset: prefix.count, codec: model.codec) : nil,
                    finishReason: output.finishReason)
            }
            return CompletionResponse(
                id: id, created: created, model: model.name, choices: choices,
                usage: Usage(promptTokens: numPromptTokens, choices: outputs.map(\.usage)))
        }

        func stream(
            _ streams: ChoiceStreams, includeUsage: Bool, send: (any Encodable) async throws -> Void
        ) async throws {
            func chunk(_ choices: [CompletionChoice], usage: Usage? = nil) -> CompletionResponse {
                CompletionResponse(
                    id: id, created: created, model: model.name, choices: choices, usage: usage,
                    encodeNullUsage: includeUsage)
            }
            let numChoices = streams.streams.count
            // Characters of each choice's text so far, for logprobs' text_offset.
            var offsets = Array(repeating: 0, count: numChoices)
            for index in 0..<numChoices where !prefixes[index / n].isEmpty {
                let prefix = prefixes[index / n]
                try await send(chunk([CompletionChoice(index: index, text: prefix)]))
                offsets[index] = prefix.count
            }
            var usages: [GenerationUsage] = []
            try await streams.forEachEvent { index, event in
                switch event {
                case .delta(let text, let tokens):
                    guard !text.isEmpty || (wantsLogprobs && !tokens.isEmpty) else { return }
                    let logprobs =
                        wantsLogprobs ? CompletionLogprobs(tokens, offset: offsets[index], codec: model.codec) : nil
                    offsets[index] += tokens.reduce(0) { $0 + $1.text.count }
                    try await send(chunk([CompletionChoice(index: index, text: text, logprobs: logprobs)]))
                case .finished(let reason, let usage):
                    usages.append(usage)
                    try await send(chunk([CompletionChoice(index: index, text: "", finishReason: reason)]))
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
