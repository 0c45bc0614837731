/// A prompt as OpenAI accepts it for one completion: text, or token ids.
enum Prompt: Decodable, Sendable, Equatable {
    case text(String)
    case tokens([Int])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else if let tokens = try? container.decode([Int].self) {
            self = .tokens(tokens)
        } else if (try? container.decode([String].self)) != nil || (try? container.decode([[Int]].self)) != nil {
            throw DecodingError.typeMismatch(
                Prompt.self,
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "batched prompts are not supported; send one prompt per request."))
        } else {
            throw DecodingError.typeMismatch(
                Prompt.self,
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "expected a string or an array of integer token ids."))
        }
    }
}

/// Body of `POST /v1/completions`. Unknown fields are ignored, as OpenAI clients send many.
struct CompletionRequest: Decodable, Sendable {
    var model: String?
    var prompt: Prompt
    var maxTokens: Int?
    var temperature: Double?
    var stream: Bool?

    enum CodingKeys: String, CodingKey {
        case model, prompt, temperature, stream
        case maxTokens = "max_tokens"
    }

    static let defaultMaxTokens = 16
}

struct CompletionResponse: Encodable, Sendable {
    var id: String
    var object = "text_completion"
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: Usage

    struct Choice: Encodable, Sendable {
        var index: Int
        var text: String
        var finishReason: FinishReason

        enum CodingKeys: String, CodingKey {
            case index, text, logprobs
            case finishReason = "finish_reason"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(index, forKey: .index)
            try container.encode(text, forKey: .text)
            try container.encodeNil(forKey: .logprobs)
            try container.encode(finishReason, forKey: .finishReason)
        }
    }

    struct Usage: Encodable, Sendable {
        var promptTokens: Int
        var completionTokens: Int
        var totalTokens: Int { promptTokens + completionTokens }

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
            case totalTokens = "total_tokens"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(promptTokens, forKey: .promptTokens)
            try container.encode(completionTokens, forKey: .completionTokens)
            try container.encode(totalTokens, forKey: .totalTokens)
        }
    }
}
