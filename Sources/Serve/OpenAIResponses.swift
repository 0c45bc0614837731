import Foundation

// Response bodies and stream chunks in OpenAI's shapes. Fields OpenAI sends as explicit nulls
// (finish_reason of intermediate chunks, absent logprobs) are encoded as nulls, not left out.

struct Usage: Encodable, Sendable, Equatable {
    var promptTokens: Int
    /// Prompt tokens whose KV came from the prefix cache: OpenAI's `prompt_tokens_details.cached_tokens`.
    var cachedPromptTokens: Int = 0
    var completionTokens: Int
    /// With a prediction: OpenAI's `completion_tokens_details.accepted_prediction_tokens` / `rejected_...`.
    var acceptedPredictionTokens: Int?
    var rejectedPredictionTokens: Int?

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
        case completionTokensDetails = "completion_tokens_details"
        case promptTokensDetails = "prompt_tokens_details"
    }

    enum PromptDetailKeys: String, CodingKey {
        case cachedTokens = "cached_tokens"
    }

    enum DetailKeys: String, CodingKey {
        case acceptedPredictionTokens = "accepted_prediction_tokens"
        case rejectedPredictionTokens = "rejected_prediction_tokens"
    }

    init(
        promptTokens: Int, cachedPromptTokens: Int = 0, completionTokens: Int, acceptedPredictionTokens: Int? = nil,
        rejectedPredictionTokens: Int? = nil
    ) {
        self.promptTokens = promptTokens
        self.cachedPromptTokens = cachedPromptTokens
        self.completionTokens = completionTokens
        self.acceptedPredictionTokens = acceptedPredictionTokens
        self.rejectedPredictionTokens = rejectedPredictionTokens
    }

    /// A response's usage: the prompt once (cached as far as every choice found it cached), the choices'
    /// completions (and prediction counts) summed.
    init(promptTokens: Int, choices: [GenerationUsage]) {
        let predicted = choices.filter { $0.acceptedPredictionTokens != nil }
        self.init(
            promptTokens: promptTokens, cachedPromptTokens: choices.map(\.cachedPromptTokens).min() ?? 0,
            completionTokens: choices.reduce(0) { $0 + $1.completionTokens },
            acceptedPredictionTokens: predicted.isEmpty ? nil : predicted.reduce(0) { $0 + $1.acceptedPredictionTokens! },
            rejectedPredictionTokens: predicted.isEmpty ? nil : predicted.reduce(0) { $0 + ($1.rejectedPredictionTokens ?? 0) })
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(promptTokens, forKey: .promptTokens)
        try container.encode(completionTokens, forKey: .completionTokens)
        try container.encode(promptTokens + completionTokens, forKey: .totalTokens)
        var promptDetails = container.nestedContainer(keyedBy: PromptDetailKeys.self, forKey: .promptTokensDetails)
        try promptDetails.encode(cachedPromptTokens, forKey: .cachedTokens)
        if let acceptedPredictionTokens {
            var details = container.nestedContainer(keyedBy: DetailKeys.self, forKey: .completionTokensDetails)
            try details.encode(acceptedPredictionTokens, forKey: .acceptedPredictionTokens)
            try details.encode(rejectedPredictionTokens ?? 0, forKey: .rejectedPredictionTokens)
        }
    }
}

/// An id like "cmpl-3f2a..." (32 hex digits after the prefix).
func makeResponseID(prefix: String) -> String {
    prefix + "-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
}

/// JSON has no -inf: a token with probability 0 reports -9999, as vLLM does.
func jsonLogprob(_ logprob: Float?) -> Double {
    guard let logprob, logprob.isFinite else { return -9999 }
    return max(Double(logprob), -9999)
}

// MARK: - /v1/completions

/// `choice.logprobs` of a completion (OpenAI's legacy shape), for the tokens of one choice or chunk.
struct CompletionLogprobs: Encodable, Sendable {
    var tokens: [String] = []
    var tokenLogprobs: [Double] = []
    var topLogprobs: [[String: Double]] = []
    var textOffset: [Int] = []

    enum CodingKeys: String, CodingKey {
        case tokens
        case tokenLogprobs = "token_logprobs"
        case topLogprobs = "top_logprobs"
        case textOffset = "text_offset"
    }

    /// `offset`: characters of the choice's text before the first of `generated`.
    init(_ generated: [GeneratedToken], offset: Int, codec: any TokenCodec) {
        var offset = offset
        for token in generated {
            tokens.append(token.text)
            tokenLogprobs.append(jsonLogprob(token.logprob))
            var top: [String: Double] = [:]
            for alternative in token.topLogprobs {
                // Distinct ids can share a text; the first (most likely) wins.
                let text = codec.decode([alternative.token], skipSpecialTokens: false)
                if top[text] == nil { top[text] = jsonLogprob(alternative.logprob) }
            }
            topLogprobs.append(top)
            textOffset.append(offset)
            offset += token.text.count
        }
    }
}

struct CompletionChoice: Encodable, Sendable {
    var index: Int
    var text: String
    var logprobs: CompletionLogprobs?
    /// nil in intermediate stream chunks.
    var finishReason: GenerationFinishReason?

    enum CodingKeys: String, CodingKey {
        case index, text, logprobs
        case finishReason = "finish_reason"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(text, forKey: .text)
        try container.encode(logprobs, forKey: .logprobs)
        try container.encode(finishReason?.rawValue, forKey: .finishReason)
    }
}

/// A whole completion, or one stream chunk of it (same object name, as OpenAI does).
typealias CompletionResponse = ResponseEnvelope<CompletionChoice>

extension CompletionChoice: ResponseChoice {
    static let object = "text_completion"
}

// MARK: - /v1/chat/completions

/// `choice.logprobs` of a chat completion: `{"content": [...]}`.
struct ChatLogprobs: Encodable, Sendable {
    var content: [Entry]

    struct Alternative: Encodable, Sendable {
        var token: String
        var logprob: Double
        var bytes: [Int]
    }

    struct Entry: Encodable, Sendable {
        var token: String
        var logprob: Double
        var bytes: [Int]
        var topLogprobs: [Alternative]

        enum CodingKeys: String, CodingKey {
            case token, logprob, bytes
            case topLogprobs = "top_logprobs"
        }
    }

    init(_ generated: [GeneratedToken], codec: any TokenCodec) {
        content = generated.map { token in
            Entry(
                token: token.text, logprob: jsonLogprob(token.logprob), bytes: token.text.utf8.map(Int.init),
                topLogprobs: token.topLogprobs.map { alternative in
                    let text = codec.decode([alternative.token], skipSpecialTokens: false)
                    return Alternative(
                        token: text, logprob: jsonLogprob(alternative.logprob), bytes: text.utf8.map(Int.init))
                })
        }
    }
}

struct ChatMessageOutput: Encodable, Sendable {
    var role = "assistant"
    var content: String
}

struct ChatChoice: Encodable, Sendable {
    var index: Int
    var message: ChatMessageOutput
    var logprobs: ChatLogprobs?
    var finishReason: GenerationFinishReason

    enum CodingKeys: String, CodingKey {
        case index, message, logprobs
        case finishReason = "finish_reason"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(message, forKey: .message)
        try container.encode(logprobs, forKey: .logprobs)
        try container.encode(finishReason.rawValue, forKey: .finishReason)
    }
}

typealias ChatCompletionResponse = ResponseEnvelope<ChatChoice>

extension ChatChoice: ResponseChoice {
    static let object = "chat.completion"
}

/// The part of a chat message one stream chunk adds: the role in a choice's first chunk, then content.
struct ChatDelta: Encodable, Sendable {
    var role: String?
    var content: String?
}

struct ChatChunkChoice: Encodable, Sendable {
    var index: Int
    var delta: ChatDelta
    var logprobs: ChatLogprobs?
    var finishReason: GenerationFinishReason?

    enum CodingKeys: String, CodingKey {
        case index, delta, logprobs
        case finishReason = "finish_reason"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(delta, forKey: .delta)
        try container.encode(logprobs, forKey: .logprobs)
        try container.encode(finishReason?.rawValue, forKey: .finishReason)
    }
}

typealias ChatCompletionChunk = ResponseEnvelope<ChatChunkChoice>

extension ChatChunkChoice: ResponseChoice {
    static let object = "chat.completion.chunk"
}

// MARK: - Shared envelope

/// A choice type names the `object` of the responses that carry it.
protocol ResponseChoice: Encodable, Sendable {
    static var object: String { get }
}

/// The fields every completion response and stream chunk shares.
struct ResponseEnvelope<Choice: ResponseChoice>: Encodable, Sendable {
    var id: String
    var created: Int
    var model: String
    var choices: [Choice]
    /// Encoded as null when `encodeNullUsage` (stream chunks with include_usage), left out when nil otherwise.
    var usage: Usage?
    var encodeNullUsage = false

    enum CodingKeys: String, CodingKey { case id, object, created, model, choices, usage }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(Choice.object, forKey: .object)
        try container.encode(created, forKey: .created)
        try container.encode(model, forKey: .model)
        try container.encode(choices, forKey: .choices)
        if usage != nil || encodeNullUsage { try container.encode(usage, forKey: .usage) }
    }
}
