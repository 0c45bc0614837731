import Foundation

/// Text <-> token ids for one Hugging Face model directory (byte-level BPE `tokenizer.json`
/// plus `tokenizer_config.json`).
///
/// Immutable after loading, so one instance can be shared by every request.
public final class Tokenizer: Sendable {
    /// One more than the largest id of the vocabulary or any added token.
    public let vocabularySize: Int
    public let bosTokenId: Int?
    public let eosTokenId: Int?
    /// Ids of added tokens marked `special` (skipped by `decode(_:skipSpecialTokens: true)`).
    public let specialTokenIds: Set<Int>
    /// Spelling of each id (byte-level characters for vocabulary tokens), nil for unused ids.
    private let idToTokenTable: [String?]
    private let addedTokenIds: [String: Int]

    private let addedTokens: AddedTokenMatcher
    private let preTokenizer: any PreTokenizer
    private let bpe: BPE
    private let decoder: ByteLevelDecoder
    private let addBosToken: Bool
    private let addEosToken: Bool
    private let chatTemplate: ChatTemplate?
    /// Special token strings given to the chat template (`bos_token`, `eos_token`, ...).
    private let templateTokens: [String: String]

    /// Loads `tokenizer.json` and `tokenizer_config.json` from `directory`.
    public init(directory: URL) throws {
        let tokenizerURL = directory.appendingPathComponent("tokenizer.json")
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        let file = tokenizerURL.path
        let json = try TokenizerJSON.load(TokenizerJSON.self, from: tokenizerURL)
        let config = try TokenizerJSON.load(TokenizerConfigJSON.self, from: configURL)

        if let normalizer = json.normalizer {
            throw TokenizerError.invalidFile(file, reason: "normalizer type \"\(normalizer.type)\" is not supported")
        }
        if let type = json.model.type, type != "BPE" {
            throw TokenizerError.invalidFile(file, reason: "model.type \"\(type)\" is not supported (only BPE)")
        }
        if json.model.byteFallback == true || json.model.continuingSubwordPrefix != nil || json.model.endOfWordSuffix != nil {
            throw TokenizerError.invalidFile(file, reason: "model: byte_fallback, continuing_subword_prefix and end_of_word_suffix are not supported")
        }
        if let decoder = json.decoder, decoder.type != "ByteLevel" {
            throw TokenizerError.invalidFile(file, reason: "decoder type \"\(decoder.type)\" is not supported (only ByteLevel)")
        }
        if let processor = json.postProcessor, processor.type != "ByteLevel" {
            throw TokenizerError.invalidFile(file, reason: "post_processor type \"\(processor.type)\" is not supported (only ByteLevel)")
        }
        preTokenizer = try json.preTokenizer?.make(file: file) ?? ByteLevelPreTokenizer(useRegex: false)
        bpe = try BPE(vocab: json.model.vocab, merges: json.model.merges, file: file)

        let added = json.addedTokens.map {
            AddedToken(id: $0.id, content: $0.content, isSpecial: $0.special ?? false,
                       lstrip: $0.lstrip ?? false, rstrip: $0.rstrip ?? false)
        }
        addedTokens = AddedTokenMatcher(added)
        addedTokenIds = Dictionary(added.map { ($0.content, $0.id) }, uniquingKeysWith: { first, _ in first })
        specialTokenIds = Set(added.filter(\.isSpecial).map(\.id))

        let maxId = max(json.model.vocab.values.max() ?? -1, added.map(\.id).max() ?? -1)
        guard maxId >= 0, json.model.vocab.values.allSatisfy({ $0 >= 0 }), added.allSatisfy({ $0.id >= 0 }) else {
            throw TokenizerError.invalidFile(file, reason: "model.vocab is empty or has negative ids")
        }
        var table = [String?](repeating: nil, count: maxId + 1)
        for (token, id) in json.model.vocab { table[id] = token }
        for token in added { table[token.id] = token.content }
        idToTokenTable = table
        vocabularySize = maxId + 1
        decoder = ByteLevelDecoder(idToToken: table, specialIds: specialTokenIds)

        let addedIds = addedTokenIds
        let vocab = json.model.vocab
        func id(of spec: TokenSpec?) -> Int? {
            guard let content = spec?.content else { return nil }
            return addedIds[content] ?? vocab[content]
        }
        bosTokenId = id(of: config.bosToken)
        eosTokenId = id(of: config.eosToken)
        addBosToken = config.addBosToken ?? false
        addEosToken = config.addEosToken ?? false
        var templateTokens: [String: String] = [:]
        templateTokens["bos_token"] = config.bosToken?.content
        templateTokens["eos_token"] = config.eosToken?.content
        templateTokens["unk_token"] = config.unkToken?.content
        templateTokens["pad_token"] = config.padToken?.content
        self.templateTokens = templateTokens
        do {
            chatTemplate = try config.chatTemplate.map { try ChatTemplate($0.template) }
        } catch let error as TokenizerError {
            throw TokenizerError.invalidFile(configURL.path, reason: "chat_template: \(error)")
        }
    }

    /// Token ids for `text`. Added tokens written in the text (e.g. `<|im_end|>`) become their ids.
    /// With `addSpecialTokens`, BOS/EOS are added when `tokenizer_config.json` asks for them.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var ids: [Int] = []
        if addSpecialTokens, addBosToken, let bosTokenId { ids.append(bosTokenId) }
        let utf8 = Array(text.utf8)
        ids.reserveCapacity(utf8.count / 3)
        utf8.withUnsafeBufferPointer { bytes in
            let segments: [AddedTokenMatcher.Segment] = addedTokens.isEmpty
                ? [.text(0..<bytes.count)] : addedTokens.split(bytes)
            var pieces: [Range<Int>] = []
            for segment in segments {
                switch segment {
                case .token(let id):
                    ids.append(id)
                case .text(let range):
                    pieces.removeAll(keepingCapacity: true)
                    preTokenizer.split(bytes, piece: range, into: &pieces)
                    for piece in pieces { bpe.encode(bytes, piece: piece, into: &ids) }
                }
            }
        }
        if addSpecialTokens, addEosToken, let eosTokenId { ids.append(eosTokenId) }
        return ids
    }

    /// Text for `ids`; ids outside the vocabulary are skipped.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        decoder.decode(ids, skipSpecialTokens: skipSpecialTokens)
    }

    /// A decoder for streaming output one token at a time.
    public func makeStreamDecoder(skipSpecialTokens: Bool = false) -> StreamDecoder {
        StreamDecoder(decoder: decoder, skipSpecialTokens: skipSpecialTokens)
    }

    /// The vocabulary spelling of `id` (byte-level characters, e.g. `"Ġthe"`), or nil.
    public func idToToken(_ id: Int) -> String? {
        guard id >= 0, id < idToTokenTable.count else { return nil }
        return idToTokenTable[id]
    }

    /// The id of a vocabulary spelling or added token, or nil.
    public func tokenToId(_ token: String) -> Int? {
        addedTokenIds[token] ?? bpe.vocab[token]
    }

    /// Renders the model's chat template like `transformers`' `apply_chat_template(tokenize=False)`.
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String {
        guard let chatTemplate else { throw TokenizerError.templateError("tokenizer_config.json has no chat_template") }
        return try chatTemplate.render(messages: messages, addGenerationPrompt: addGenerationPrompt, specialTokens: templateTokens)
    }
}
