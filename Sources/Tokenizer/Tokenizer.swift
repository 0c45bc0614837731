import Foundation

/// Text <-> token ids for one Hugging Face model directory: byte-level BPE from `tokenizer.json`,
/// or SentencePiece from `tokenizer.model` when there is no tokenizer.json; plus `tokenizer_config.json`
/// (BOS/EOS policy, special tokens, chat template).
///
/// Immutable after loading, so one instance can be shared by every request.
public final class Tokenizer: Sendable {
    /// One more than the largest id of the vocabulary or any added token.
    public let vocabularySize: Int
    public let bosTokenId: Int?
    public let eosTokenId: Int?
    /// Ids skipped by `decode(_:skipSpecialTokens: true)`: special added tokens / control symbols.
    public let specialTokenIds: Set<Int>

    private let backend: any TokenizerBackend
    private let addBosToken: Bool
    private let addEosToken: Bool
    private let chatTemplate: ChatTemplate?
    /// Special token strings given to the chat template (`bos_token`, `eos_token`, ...).
    private let templateTokens: [String: String]

    /// Loads the tokenizer files of a model directory.
    public init(directory: URL) throws {
        let tokenizerURL = directory.appendingPathComponent("tokenizer.json")
        let sentencePieceURL = directory.appendingPathComponent("tokenizer.model")
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        let fileManager = FileManager.default
        let config: TokenizerConfigJSON

        if fileManager.fileExists(atPath: tokenizerURL.path) {
            backend = try ByteLevelBPEBackend(tokenizerURL: tokenizerURL)
            config = try TokenizerJSON.load(TokenizerConfigJSON.self, from: configURL)
            addBosToken = config.addBosToken ?? false
        } else if fileManager.fileExists(atPath: sentencePieceURL.path) {
            backend = try SentencePieceBackend(modelURL: sentencePieceURL)
            config = fileManager.fileExists(atPath: configURL.path)
                ? try TokenizerJSON.load(TokenizerConfigJSON.self, from: configURL) : TokenizerConfigJSON()
            // LlamaTokenizer's default.
            addBosToken = config.addBosToken ?? true
        } else {
            throw TokenizerError.missingFile(tokenizerURL.path)  // the usual file; tokenizer.model would do too
        }
        addEosToken = config.addEosToken ?? false
        vocabularySize = backend.vocabularySize
        specialTokenIds = backend.specialTokenIds

        let backend = self.backend
        func id(of spec: TokenSpec?) -> Int? { spec.flatMap { backend.tokenToId($0.content) } }
        bosTokenId = id(of: config.bosToken) ?? (backend as? SentencePieceBackend)?.bosTokenId
        eosTokenId = id(of: config.eosToken) ?? (backend as? SentencePieceBackend)?.eosTokenId
        var templateTokens: [String: String] = [:]
        templateTokens["bos_token"] = config.bosToken?.content ?? bosTokenId.flatMap(backend.idToToken)
        templateTokens["eos_token"] = config.eosToken?.content ?? eosTokenId.flatMap(backend.idToToken)
        templateTokens["unk_token"] = config.unkToken?.content
        templateTokens["pad_token"] = config.padToken?.content
        self.templateTokens = templateTokens
        do {
            chatTemplate = try config.chatTemplate.map { try ChatTemplate($0.template) }
        } catch let error as TokenizerError {
            throw TokenizerError.invalidFile(configURL.path, reason: "chat_template: \(error)")
        }
    }

    /// Token ids for `text`. Byte-level BPE: added tokens written in the text (e.g. `<|im_end|>`) become
    /// their ids. With `addSpecialTokens`, BOS/EOS are added when `tokenizer_config.json` asks for them.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var ids: [Int] = []
        if addSpecialTokens, addBosToken, let bosTokenId { ids.append(bosTokenId) }
        backend.encode(text, into: &ids)
        if addSpecialTokens, addEosToken, let eosTokenId { ids.append(eosTokenId) }
        return ids
    }

    /// Text for `ids`; ids outside the vocabulary are skipped.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        backend.decode(ids, skipSpecialTokens: skipSpecialTokens)
    }

    /// A decoder for streaming output one token at a time.
    public func makeStreamDecoder(skipSpecialTokens: Bool = false) -> StreamDecoder {
        StreamDecoder(backend: backend, skipSpecialTokens: skipSpecialTokens)
    }

    /// The vocabulary spelling of `id` (e.g. `"Ġthe"` or `"▁the"`), or nil.
    public func idToToken(_ id: Int) -> String? { backend.idToToken(id) }

    /// The bytes token `id` adds to a text (byte-level BPE: its characters mapped back through the byte decoder;
    /// SentencePiece: "▁" as a space, `<0xNN>` as that byte), or nil for special/control tokens and unused ids.
    /// Unlike `decode`, a SentencePiece piece keeps its leading space (the token is not at the sequence start).
    public func tokenBytes(_ id: Int) -> [UInt8]? { backend.tokenBytes(id) }

    /// `tokenBytes` of every id below `vocabularySize`: the input of a grammar engine's token vocabulary.
    public func allTokenBytes() -> [[UInt8]?] { (0..<vocabularySize).map { backend.tokenBytes($0) } }

    /// The id of a vocabulary spelling or added token, or nil.
    public func tokenToId(_ token: String) -> Int? { backend.tokenToId(token) }

    /// Renders the model's chat template like `transformers`' `apply_chat_template(tokenize=False)`.
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String {
        guard let chatTemplate else { throw TokenizerError.templateError("tokenizer_config.json has no chat_template") }
        return try chatTemplate.render(messages: messages, addGenerationPrompt: addGenerationPrompt, specialTokens: templateTokens)
    }
}
