import Foundation

/// Byte-level BPE from a Hugging Face `tokenizer.json` (GPT-2 / SmolLM / StarCoder style).
struct ByteLevelBPEBackend: TokenizerBackend {
    let vocabularySize: Int
    let specialTokenIds: Set<Int>
    /// Spelling of each id (byte-level characters for vocabulary tokens), nil for unused ids.
    private let idToTokenTable: [String?]
    let addedTokenIds: [String: Int]
    private let addedTokens: AddedTokenMatcher
    private let preTokenizer: any PreTokenizer
    private let bpe: BPE
    private let decoder: ByteLevelDecoder

    init(tokenizerURL: URL) throws {
        let file = tokenizerURL.path
        let json = try TokenizerJSON.load(TokenizerJSON.self, from: tokenizerURL)
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
    }

    func encode(_ text: String, into ids: inout [Int]) {
        let utf8 = Array(text.utf8)
        ids.reserveCapacity(ids.count + utf8.count / 3)
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
    }

    @inline(__always)
    func appendBytes(of id: Int, skipSpecialTokens: Bool, atSequenceStart: Bool, to bytes: inout [UInt8]) {
        decoder.appendBytes(of: id, skipSpecialTokens: skipSpecialTokens, to: &bytes)
    }

    func idToToken(_ id: Int) -> String? {
        guard id >= 0, id < idToTokenTable.count else { return nil }
        return idToTokenTable[id]
    }

    func tokenToId(_ token: String) -> Int? {
        addedTokenIds[token] ?? bpe.vocab[token]
    }

    func tokenBytes(_ id: Int) -> [UInt8]? {
        guard id >= 0, id < idToTokenTable.count, idToTokenTable[id] != nil, !specialTokenIds.contains(id) else { return nil }
        return decoder.tokenBytes[id]
    }
}
