import Foundation

/// The parts of a Hugging Face `tokenizer.json` this package understands.
struct TokenizerJSON: Decodable {
    var addedTokens: [AddedTokenJSON]
    var normalizer: TypedNodeJSON?
    var preTokenizer: PreTokenizerJSON?
    var postProcessor: TypedNodeJSON?
    var decoder: TypedNodeJSON?
    var model: ModelJSON

    enum CodingKeys: String, CodingKey {
        case addedTokens = "added_tokens"
        case normalizer
        case preTokenizer = "pre_tokenizer"
        case postProcessor = "post_processor"
        case decoder
        case model
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        addedTokens = try container.decodeIfPresent([AddedTokenJSON].self, forKey: .addedTokens) ?? []
        normalizer = try container.decodeIfPresent(TypedNodeJSON.self, forKey: .normalizer)
        preTokenizer = try container.decodeIfPresent(PreTokenizerJSON.self, forKey: .preTokenizer)
        postProcessor = try container.decodeIfPresent(TypedNodeJSON.self, forKey: .postProcessor)
        self.decoder = try container.decodeIfPresent(TypedNodeJSON.self, forKey: .decoder)
        model = try container.decode(ModelJSON.self, forKey: .model)
    }
}

/// Any node where only the `type` matters to us.
struct TypedNodeJSON: Decodable {
    var type: String
}

struct AddedTokenJSON: Decodable {
    var id: Int
    var content: String
    var singleWord: Bool?
    var lstrip: Bool?
    var rstrip: Bool?
    var normalized: Bool?
    var special: Bool?

    enum CodingKeys: String, CodingKey {
        case id, content, lstrip, rstrip, normalized, special
        case singleWord = "single_word"
    }
}

/// `pre_tokenizer`: a `Sequence` of children, `Digits`, or `ByteLevel`.
struct PreTokenizerJSON: Decodable {
    var type: String
    var pretokenizers: [PreTokenizerJSON]?
    var individualDigits: Bool?
    var addPrefixSpace: Bool?
    var useRegex: Bool?

    enum CodingKeys: String, CodingKey {
        case type, pretokenizers
        case individualDigits = "individual_digits"
        case addPrefixSpace = "add_prefix_space"
        case useRegex = "use_regex"
    }
}

/// `model`: a BPE vocabulary and merge list.
struct ModelJSON: Decodable {
    var type: String?
    var vocab: [String: Int]
    /// Each merge as its two halves; accepts both `["a", "b"]` and the older `"a b"` spelling.
    var merges: [[String]]
    var unkToken: String?
    var continuingSubwordPrefix: String?
    var endOfWordSuffix: String?
    var byteFallback: Bool?
    var ignoreMerges: Bool?

    enum CodingKeys: String, CodingKey {
        case type, vocab, merges
        case unkToken = "unk_token"
        case continuingSubwordPrefix = "continuing_subword_prefix"
        case endOfWordSuffix = "end_of_word_suffix"
        case byteFallback = "byte_fallback"
        case ignoreMerges = "ignore_merges"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decodeIfPresent(String.self, forKey: .type)
        vocab = try container.decode([String: Int].self, forKey: .vocab)
        if let pairs = try? container.decode([[String]].self, forKey: .merges) {
            merges = pairs
        } else {
            let lines = try container.decodeIfPresent([String].self, forKey: .merges) ?? []
            merges = lines.map { $0.split(separator: " ", maxSplits: 1).map(String.init) }
        }
        unkToken = try container.decodeIfPresent(String.self, forKey: .unkToken)
        continuingSubwordPrefix = try container.decodeIfPresent(String.self, forKey: .continuingSubwordPrefix)
        endOfWordSuffix = try container.decodeIfPresent(String.self, forKey: .endOfWordSuffix)
        byteFallback = try container.decodeIfPresent(Bool.self, forKey: .byteFallback)
        ignoreMerges = try container.decodeIfPresent(Bool.self, forKey: .ignoreMerges)
    }
}

/// The parts of `tokenizer_config.json` we use.
struct TokenizerConfigJSON: Decodable {
    var bosToken: TokenSpec?
    var eosToken: TokenSpec?
    var unkToken: TokenSpec?
    var padToken: TokenSpec?
    var addBosToken: Bool?
    var addEosToken: Bool?
    var chatTemplate: ChatTemplateSpec?

    enum CodingKeys: String, CodingKey {
        case bosToken = "bos_token"
        case eosToken = "eos_token"
        case unkToken = "unk_token"
        case padToken = "pad_token"
        case addBosToken = "add_bos_token"
        case addEosToken = "add_eos_token"
        case chatTemplate = "chat_template"
    }
}

/// A special token written either as `"<s>"` or as `{"content": "<s>", ...}`.
struct TokenSpec: Decodable {
    var content: String

    private enum CodingKeys: String, CodingKey { case content }

    init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer().decode(String.self) {
            content = single
        } else {
            content = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .content)
        }
    }
}

/// `chat_template`: one string, or a list of `{name, template}` of which we take `default`.
struct ChatTemplateSpec: Decodable {
    var template: String

    private struct Named: Decodable { var name: String; var template: String }

    init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer().decode(String.self) {
            template = single
            return
        }
        let named = try decoder.singleValueContainer().decode([Named].self)
        guard let chosen = named.first(where: { $0.name == "default" }) ?? named.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "empty template list"))
        }
        template = chosen.template
    }
}

extension TokenizerJSON {
    /// Reads and decodes a JSON file, turning decoding failures into errors that name the field.
    static func load<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        guard FileManager.default.fileExists(atPath: url.path) else { throw TokenizerError.missingFile(url.path) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.invalidFile(url.path, reason: "unreadable: \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw TokenizerError.invalidFile(url.path, reason: describe(error))
        } catch {
            throw TokenizerError.invalidFile(url.path, reason: "\(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.isEmpty ? "<root>" : codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field \(path(context.codingPath + [key]))"
        case .typeMismatch(let type, let context):
            return "field \(path(context.codingPath)) is not a \(type)"
        case .valueNotFound(let type, let context):
            return "field \(path(context.codingPath)) is null, expected \(type)"
        case .dataCorrupted(let context):
            return "malformed JSON at \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
