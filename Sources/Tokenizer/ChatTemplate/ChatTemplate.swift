/// A parsed Jinja chat template.
struct ChatTemplate: Sendable {
    let source: String
    init(_ source: String) throws { self.source = source }
    func render(messages: [ChatMessage], addGenerationPrompt: Bool, specialTokens: [String: String]) throws -> String {
        throw TokenizerError.templateError("not implemented")
    }
}
