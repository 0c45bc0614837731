/// Request fields of OpenAI's API (and vLLM's extensions) that would change the output and that this server does not
/// implement. Each is refused with a 400 naming it, never silently ignored: a client that asked for tool calls or
/// beam search must not get plain text back as if it had been honoured. Fields that change nothing in the output
/// (`user`, `store`, `metadata`, `service_tier`, `parallel_tool_calls` without tools, ...) stay ignored, as in vLLM.
enum UnsupportedFields {
    /// Throws `APIError` (400) for the first unsupported field `decoder`'s object sets to a value that matters.
    static func check(_ decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        func isSet(_ name: String) throws -> Bool {
            guard let key = Key(stringValue: name), container.contains(key) else { return false }
            return try !container.decodeNil(forKey: key)
        }
        func string(_ name: String) -> String? { try? container.decode(String.self, forKey: Key(stringValue: name)!) }

        // An empty list of tools asks for nothing.
        if try isSet("tools"), (try? container.decode([AnyJSON].self, forKey: Key(stringValue: "tools")!))?.isEmpty != true {
            throw APIError.invalidRequest(
                "Tool calling is not supported: this model's chat template has no tool support.", param: "tools")
        }
        if try isSet("functions") {
            throw APIError.invalidRequest(
                "Function calling is not supported: this model's chat template has no tool support.", param: "functions")
        }
        if try isSet("tool_choice"), string("tool_choice") != "none" {
            throw APIError.invalidRequest(
                "tool_choice other than \"none\" is not supported: this model's chat template has no tool support.", param: "tool_choice")
        }
        if try isSet("function_call"), string("function_call") != "none" {
            throw APIError.invalidRequest("function_call is not supported (no tool support).", param: "function_call")
        }
        if try isSet("modalities"), (try? container.decode([String].self, forKey: Key(stringValue: "modalities")!)) != ["text"] {
            throw APIError.invalidRequest("Only the \"text\" modality is supported.", param: "modalities")
        }
        if try isSet("best_of"), (try? container.decode(Int.self, forKey: Key(stringValue: "best_of")!)) != 1 {
            throw APIError.invalidRequest("best_of other than 1 is not supported; use n for several choices.", param: "best_of")
        }
        if try isSet("suffix"), string("suffix") != "" {
            throw APIError.invalidRequest("suffix (insertion) is not supported.", param: "suffix")
        }
        for (name, why) in refused where try isSet(name) {
            throw APIError.invalidRequest("\(name) is not supported: \(why).", param: name)
        }
    }

    private static var refused: [(String, String)] {
        [
            ("audio", "this server generates text only"),
            ("reasoning_effort", "this model does not reason before answering"),
            ("web_search_options", "this server has no web search"),
            ("guided_json", "use response_format {\"type\": \"json_schema\", ...}"),
            ("guided_regex", "use response_format {\"type\": \"json_schema\", ...}"),
            ("guided_choice", "use response_format {\"type\": \"json_schema\", ...} with an enum"),
            ("guided_grammar", "use response_format {\"type\": \"json_schema\", ...}"),
            ("structured_outputs", "use response_format"),
            ("min_tokens", "not implemented"),
            ("bad_words", "use logit_bias"),
            ("allowed_token_ids", "use logit_bias"),
            ("use_beam_search", "not implemented"),
            ("length_penalty", "beam search is not implemented"),
            ("include_stop_str_in_output", "not implemented"),
            ("truncate_prompt_tokens", "not implemented"),
            ("prompt_logprobs", "not implemented"),
        ]
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// Any JSON value, skipped (only its presence matters).
struct AnyJSON: Decodable {
    init(from decoder: any Decoder) throws {
        if let container = try? decoder.singleValueContainer(), container.decodeNil() { return }
        if var array = try? decoder.unkeyedContainer() {
            while !array.isAtEnd { _ = try array.decode(AnyJSON.self) }
            return
        }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            for key in object.allKeys { _ = try object.decode(AnyJSON.self, forKey: key) }
            return
        }
        let container = try decoder.singleValueContainer()
        if (try? container.decode(Bool.self)) != nil || (try? container.decode(Double.self)) != nil { return }
        _ = try container.decode(String.self)
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int?
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { self.stringValue = "\(intValue)"; self.intValue = intValue }
    }
}
