import Tokenizer

// Request bodies of /v1/completions and /v1/chat/completions as clients send them. Decoding checks
// types only (a wrong type names its field); ranges are checked by `GenerationOptions`. Unknown fields
// are ignored, as vLLM does: OpenAI clients send many; known ones that would change the output and are not
// implemented are refused (`UnsupportedFields`).

/// `prompt`: a string, a list of strings, a list of token ids, or a list of lists of token ids.
/// Each element of a list is its own prompt (its own choices).
enum PromptInput: Decodable, Sendable, Equatable {
    case texts([String])
    case tokenLists([[Int]])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .texts([text])
        } else if let tokens = try? container.decode([Int].self) {
            self = .tokenLists([tokens])
        } else if let texts = try? container.decode([String].self) {
            self = .texts(texts)
        } else if let lists = try? container.decode([[Int]].self) {
            self = .tokenLists(lists)
        } else {
            throw DecodingError.typeMismatch(
                PromptInput.self,
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "expected a string, a list of strings, a list of integer token ids "
                        + "or a list of such lists."))
        }
    }
}

/// `stop`: one string or a list of strings.
struct StopInput: Decodable, Sendable, Equatable {
    var strings: [String]

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            strings = [string]
        } else if let strings = try? container.decode([String].self) {
            self.strings = strings
        } else {
            throw DecodingError.typeMismatch(
                StopInput.self,
                .init(codingPath: decoder.codingPath, debugDescription: "expected a string or a list of strings."))
        }
    }
}

struct StreamOptions: Decodable, Sendable {
    var includeUsage: Bool?

    enum CodingKeys: String, CodingKey {
        case includeUsage = "include_usage"
    }
}

/// The sampling and stopping fields both endpoints share.
struct SamplingInput: Decodable, Sendable {
    var temperature: Double?
    var topP: Double?
    var topK: Int?
    var minP: Double?
    var seed: Int?
    var stop: StopInput?
    var n: Int?
    var presencePenalty: Double?
    var frequencyPenalty: Double?
    var repetitionPenalty: Double?
    var ignoreEos: Bool?
    var skipSpecialTokens: Bool?
    var stream: Bool?
    var streamOptions: StreamOptions?
    var user: String?
    /// OpenAI's Predicted Outputs (see `PredictionInput`).
    var prediction: PredictionInput?
    /// Our extension: false keeps this request from speculating (no drafts), whatever the server's `--spec`.
    var speculate: Bool?
    /// OpenAI's `logit_bias`: token id (as a string) → bias in -100...100.
    var logitBias: [String: Double]?
    /// OpenAI's `response_format` (see `ResponseFormat`).
    var responseFormat: ResponseFormatInput?

    enum CodingKeys: String, CodingKey {
        case temperature, seed, stop, n, stream, user, prediction, speculate
        case topP = "top_p"
        case topK = "top_k"
        case minP = "min_p"
        case presencePenalty = "presence_penalty"
        case frequencyPenalty = "frequency_penalty"
        case repetitionPenalty = "repetition_penalty"
        case ignoreEos = "ignore_eos"
        case skipSpecialTokens = "skip_special_tokens"
        case streamOptions = "stream_options"
        case logitBias = "logit_bias"
        case responseFormat = "response_format"
    }
}

/// Body of `POST /v1/completions`.
struct CompletionRequest: Decodable, Sendable {
    var model: String?
    var prompt: PromptInput
    var maxTokens: Int?
    /// Number of most likely alternatives per token, 0...20; nil = no logprobs.
    var logprobs: Int?
    var echo: Bool?
    var sampling: SamplingInput

    enum CodingKeys: String, CodingKey {
        case model, prompt, logprobs, echo
        case maxTokens = "max_tokens"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        prompt = try container.decode(PromptInput.self, forKey: .prompt)
        maxTokens = try container.decodeIfPresent(Int.self, forKey: .maxTokens)
        logprobs = try container.decodeIfPresent(Int.self, forKey: .logprobs)
        echo = try container.decodeIfPresent(Bool.self, forKey: .echo)
        sampling = try SamplingInput(from: decoder)
        try UnsupportedFields.check(decoder)
    }

    static let defaultMaxTokens = 16
}

/// Text given as a string or as a list of `{"type": "text", "text": ...}` parts (joined): a chat message's
/// `content` and a prediction's `content`.
struct TextContent: Decodable, Sendable {
    var text: String

    private struct Part: Decodable {
        var type: String
        var text: String?
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self.text = text
        } else if let parts = try? container.decode([Part].self) {
            text = ""
            for (index, part) in parts.enumerated() {
                guard part.type == "text", let partText = part.text else {
                    throw DecodingError.dataCorrupted(
                        .init(
                            codingPath: decoder.codingPath + [IndexKey(intValue: index)],
                            debugDescription: "only content parts of type 'text' with a 'text' string are supported "
                                + "(got type '\(part.type)')."))
                }
                text += partText
            }
        } else {
            throw DecodingError.typeMismatch(
                String.self,
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "expected a string or a list of {\"type\": \"text\", \"text\": ...} parts."))
        }
    }

    private struct IndexKey: CodingKey {
        var intValue: Int?
        var stringValue: String { "\(intValue ?? 0)" }
        init(intValue: Int) { self.intValue = intValue }
        init?(stringValue: String) { nil }
    }
}

/// One message of a chat; `content` is a string or a list of `{"type": "text", "text": ...}` parts.
struct ChatMessageInput: Decodable, Sendable {
    var role: String
    var content: String?

    enum CodingKeys: String, CodingKey { case role, content }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        role = try container.decode(String.self, forKey: .role)
        content = try container.decodeIfPresent(TextContent.self, forKey: .content)?.text
    }
}

/// Body of `POST /v1/chat/completions`.
struct ChatCompletionRequest: Decodable, Sendable {
    var model: String?
    var messages: [ChatMessageInput]
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var logprobs: Bool?
    var topLogprobs: Int?
    var sampling: SamplingInput

    enum CodingKeys: String, CodingKey {
        case model, messages, logprobs
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case topLogprobs = "top_logprobs"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        messages = try container.decode([ChatMessageInput].self, forKey: .messages)
        maxTokens = try container.decodeIfPresent(Int.self, forKey: .maxTokens)
        maxCompletionTokens = try container.decodeIfPresent(Int.self, forKey: .maxCompletionTokens)
        logprobs = try container.decodeIfPresent(Bool.self, forKey: .logprobs)
        topLogprobs = try container.decodeIfPresent(Int.self, forKey: .topLogprobs)
        sampling = try SamplingInput(from: decoder)
        try UnsupportedFields.check(decoder)
    }

    static let roles: Set<String> = ["system", "developer", "user", "assistant"]

    /// The messages for the chat template: roles checked, content required except for assistant turns.
    func chatMessages() throws(APIError) -> [ChatMessage] {
        guard !messages.isEmpty else {
            throw APIError.invalidRequest("'messages' must contain at least one message.", param: "messages")
        }
        var result: [ChatMessage] = []
        for (index, message) in messages.enumerated() {
            guard Self.roles.contains(message.role) else {
                throw APIError.invalidRequest(
                    "Unknown role '\(message.role)' in messages[\(index)]; use system, user or assistant.",
                    param: "messages[\(index)].role")
            }
            guard message.content != nil || message.role == "assistant" else {
                throw APIError.invalidRequest(
                    "messages[\(index)] has no content.", param: "messages[\(index)].content")
            }
            // "developer" is OpenAI's newer name for the system role.
            let role = message.role == "developer" ? "system" : message.role
            result.append(ChatMessage(role: role, content: message.content ?? ""))
        }
        return result
    }
}
