/// A chat template parsed once at load and rendered per request, like transformers'
/// `apply_chat_template(messages, tokenize=False, add_generation_prompt=...)`.
public struct ChatTemplate: Sendable {
    let nodes: [JinjaNode]

    /// Parses `source`; throws `TokenizerError.templateError` for a template we cannot render.
    public init(_ source: String) throws {
        nodes = try JinjaParser.parse(try JinjaLexer.tokenize(source))
    }

    /// `specialTokens` maps `bos_token`, `eos_token`, ... to their strings, as transformers passes them.
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool, specialTokens: [String: String]) throws -> String {
        var context: [String: JinjaValue] = [
            "messages": .list(messages.map { message in
                var dictionary = JinjaDictionary()
                dictionary["role"] = .string(message.role)
                dictionary["content"] = .string(message.content)
                return .dictionary(dictionary)
            }),
            "add_generation_prompt": .boolean(addGenerationPrompt),
            "tools": .none,
            "documents": .none,
        ]
        for (name, value) in specialTokens { context[name] = .string(value) }
        return try render(context: context)
    }

    func render(context: [String: JinjaValue]) throws -> String {
        try JinjaEvaluator.render(nodes, context: context)
    }
}
