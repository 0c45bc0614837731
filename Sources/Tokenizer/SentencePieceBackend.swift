import CSentencePiece
import Foundation
import Synchronization

/// A SentencePiece `tokenizer.model` (Llama 2, TinyLlama, Mistral): encoding through libsentencepiece,
/// decoding from the piece table so streams can be decoded byte by byte exactly like `spm_decode`.
///
struct SentencePieceBackend: TokenizerBackend {
    let vocabularySize: Int
    let specialTokenIds: Set<Int>
    private let processor: SentencePieceProcessor
    private let pieces: [String]
    /// What each id decodes to, leading "▁" already turned into a space.
    private let pieceBytes: [[UInt8]]
    private let startsWithSpace: [Bool]
    private let kinds: [SentencePieceProcessor.PieceKind]
    private let pieceIds: [String: Int]
    private let controlTokens: AddedTokenMatcher

    init(modelURL: URL) throws {
        processor = try SentencePieceProcessor(path: modelURL.path)
        let count = processor.vocabularySize
        vocabularySize = count
        var pieces: [String] = [], bytes: [[UInt8]] = [], startsWithSpace: [Bool] = [], kinds: [SentencePieceProcessor.PieceKind] = []
        for id in 0..<count {
            let piece = processor.piece(id)
            let kind = processor.kind(id)
            pieces.append(piece)
            kinds.append(kind)
            startsWithSpace.append(piece.hasPrefix("\u{2581}"))
            switch kind {
            case .byte:
                // "<0xE2>" -> 0xE2
                let hex = piece.dropFirst(3).dropLast()
                guard piece.hasPrefix("<0x"), let value = UInt8(hex, radix: 16) else {
                    throw TokenizerError.invalidFile(modelURL.path, reason: "byte piece \(piece) (id \(id)) is not <0xNN>")
                }
                bytes.append([value])
            case .unknown:
                bytes.append(Array(" \u{2047} ".utf8))  // SentencePiece's unknown surface " ⁇ "
            case .control, .unused:
                bytes.append(Array(piece.utf8))
            case .normal, .userDefined:
                bytes.append(Array(piece.replacingOccurrences(of: "\u{2581}", with: " ").utf8))
            }
        }
        self.pieces = pieces
        pieceBytes = bytes
        self.startsWithSpace = startsWithSpace
        self.kinds = kinds
        specialTokenIds = Set(kinds.indices.filter { kinds[$0] == .control })
        pieceIds = Dictionary(pieces.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        controlTokens = AddedTokenMatcher(specialTokenIds.sorted().map {
            AddedToken(id: $0, content: pieces[$0], isSpecial: true, lstrip: false, rstrip: false)
        })
    }

    var bosTokenId: Int? { processor.bosId }
    var eosTokenId: Int? { processor.eosId }

    /// Control pieces written in the text ("<s>", "</s>", e.g. from a chat template's `{{ bos_token }}`)
    /// become their ids, like Hugging Face's LlamaTokenizer; the text between them is encoded by
    /// SentencePiece segment by segment (each with its dummy prefix: the "legacy" Llama behaviour).
    func encode(_ text: String, into ids: inout [Int]) {
        let utf8 = Array(text.utf8)
        utf8.withUnsafeBufferPointer { bytes in
            for segment in controlTokens.split(bytes) {
                switch segment {
                case .token(let id):
                    ids.append(id)
                case .text(let range):
                    guard !range.isEmpty else { continue }
                    ids.append(contentsOf: processor.encode(String(decoding: bytes[range], as: UTF8.self)))
                }
            }
        }
    }

    func appendBytes(of id: Int, skipSpecialTokens: Bool, atSequenceStart: Bool, to bytes: inout [UInt8]) {
        guard id >= 0, id < pieceBytes.count else { return }
        switch kinds[id] {
        case .control, .unused:
            // SentencePiece never prints control symbols; Hugging Face prints them unless skipping.
            if !skipSpecialTokens { bytes.append(contentsOf: pieceBytes[id]) }
        case .normal where atSequenceStart && startsWithSpace[id]:
            // The dummy-prefix space of the first piece is not part of the text.
            bytes.append(contentsOf: pieceBytes[id].dropFirst())
        default:
            bytes.append(contentsOf: pieceBytes[id])
        }
    }

    func idToToken(_ id: Int) -> String? { id >= 0 && id < pieces.count ? pieces[id] : nil }
    func tokenToId(_ token: String) -> Int? { pieceIds[token] }

    /// "▁" is a space, `<0xNN>` byte pieces are that byte; control, unused and unknown pieces have no bytes.
    func tokenBytes(_ id: Int) -> [UInt8]? {
        guard id >= 0, id < pieceBytes.count else { return nil }
        switch kinds[id] {
        case .control, .unused, .unknown: return nil
        case .normal, .userDefined, .byte: return pieceBytes[id]
        }
    }
}

/// Owns a libsentencepiece processor. Calls are serialized by a mutex, which makes sharing it across
/// requests safe without relying on the C++ library's own thread-safety guarantees.
final class SentencePieceProcessor: Sendable {
    enum PieceKind: Int32, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, byte = 5, unused = 6
    }

    private let handle: Mutex<OpaquePointer?>
    let vocabularySize: Int
    let bosId: Int?
    let eosId: Int?

    init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw TokenizerError.missingFile(path) }
        var error: UnsafeMutablePointer<CChar>?
        guard let pointer = csp_load(path, &error) else {
            let message = error.map { String(cString: $0) } ?? "unknown error"
            csp_free_string(error)
            throw TokenizerError.invalidFile(path, reason: "libsentencepiece cannot load it: \(message)")
        }
        vocabularySize = Int(csp_vocab_size(pointer))
        let bos = Int(csp_bos_id(pointer)), eos = Int(csp_eos_id(pointer))
        bosId = bos >= 0 ? bos : nil
        eosId = eos >= 0 ? eos : nil
        handle = Mutex(pointer)
    }

    deinit { handle.withLock { csp_free($0) } }

    func encode(_ text: String) -> [Int] {
        var utf8 = Array(text.utf8)
        utf8.append(0)
        return handle.withLock { pointer -> [Int] in
            var ids: UnsafeMutablePointer<Int32>?
            let count = utf8.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { csp_encode(pointer, $0.baseAddress, buffer.count - 1, &ids) }
            }
            defer { csp_free_ids(ids) }
            guard count > 0, let ids else { return [] }
            return (0..<count).map { Int(ids[$0]) }
        }
    }

    func piece(_ id: Int) -> String {
        handle.withLock { pointer in
            guard let piece = csp_id_to_piece(pointer, Int32(id)) else { return "" }
            defer { csp_free_string(piece) }
            return String(cString: piece)
        }
    }

    func kind(_ id: Int) -> PieceKind {
        let raw = handle.withLock { csp_piece_kind($0, Int32(id)) }
        return PieceKind(rawValue: raw) ?? .normal
    }
}
