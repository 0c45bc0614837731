

/// OpenAI's Predicted Outputs: `prediction: {"type": "content", "content": "..."}`, content a string or a list of
/// `{"type": "text", "text": ...}` parts. The text the answer is expected to resemble (e.g. the file being
/// edited); the engine verifies it as a draft, so it changes the speed of the answer, never the answer.
struct PredictionInput: Decodable, Sendable {
    var text: String

    enum CodingKeys: String, CodingKey { case type, content }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        guard type == "content" else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath + [CodingKeys.type],
                      debugDescription: "only prediction type 'content' is supported (got '\(type)')."))
        }
        text = try container.decode(TextContent.self, forKey: .content).text
    }

    /// The prediction as tokens; 400 when it is longer than the model's context.
    func tokens(codec: any TokenCodec, maxModelLen: Int) throws(APIError) -> [Int] {
        let tokens = codec.encode(text, addSpecialTokens: false)
        guard tokens.count <= maxModelLen else {
            throw APIError.invalidRequest(
                "prediction has \(tokens.count) tokens, more than this model's context of \(maxModelLen).",
                param: "prediction")
        }
        return tokens
    }
}
