// libFuzzer target: bytes → text → ids → text (exact, but for the bytes the vocabulary cannot spell) with the real SmolLM2 byte-level BPE tokenizer and the SentencePiece
// fixtures. A broken invariant traps (precondition) so libFuzzer records the input. See scripts/fuzz.sh.
import Foundation
import FuzzSupport
import Tokenizer

/// `<repo>/Sources/Fuzz/FuzzTokenizer/FuzzTokenizer.swift` → `<repo>`.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

func loadTokenizer(_ relativePath: String) -> Tokenizer {
    do { return try Tokenizer(directory: repoRoot.appendingPathComponent(relativePath)) } catch {
        fatalError("cannot load \(relativePath) (fetch the weights first: scripts/fetch_weights.sh): \(error)")
    }
}

nonisolated(unsafe) let byteLevel = loadTokenizer("weights/smol-135m")
/// Bytes the vocabulary has no token for. SmolLM2's lacks 0x04 0x06 0x13 0x14 0x16 0x1D, the 4-byte lead bytes
/// 0xF1 0xF2 and bytes UTF-8 never uses; with no unknown token, byte-level BPE drops them (BPE.encode).
nonisolated(unsafe) let unencodableBytes: Set<UInt8> = {
    // GPT-2's byte → character table: printable Latin-1 bytes stand for themselves, the rest map to U+0100...
    var characters: [UInt8: Unicode.Scalar] = [:]
    var next: UInt32 = 256
    for byte in 0...255 {
        let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
        characters[UInt8(byte)] = Unicode.Scalar(printable ? UInt32(byte) : next)!
        if !printable { next += 1 }
    }
    return Set(characters.filter { byteLevel.tokenToId(String($0.value)) == nil }.keys)
}()

nonisolated(unsafe) let sentencePieces = [loadTokenizer("Tests/Fixtures/spm"), loadTokenizer("Tests/Fixtures/spm-llama")]

/// Streaming the ids one by one must give exactly `decode`'s text, with and without special tokens.
func checkStreaming(_ tokenizer: Tokenizer, _ ids: [Int]) {
    for skip in [false, true] {
        var decoder = tokenizer.makeStreamDecoder(skipSpecialTokens: skip)
        var streamed = ""
        for id in ids { streamed += decoder.append(id) }
        streamed += decoder.finish()
        let decoded = tokenizer.decode(ids, skipSpecialTokens: skip)
        precondition(streamed == decoded, "stream \(streamed.debugDescription) != decode \(decoded.debugDescription) for \(ids)")
    }
}

func checkTokenizers(_ bytes: UnsafeRawBufferPointer) {
    // Any bytes become valid UTF-8 text (invalid sequences turn into U+FFFD).
    let text = String(decoding: bytes, as: UTF8.self)
    let ids = byteLevel.encode(text, addSpecialTokens: false)
    precondition(ids.allSatisfy { (0..<byteLevel.vocabularySize).contains($0) }, "id outside the vocabulary")
    let roundTrip = byteLevel.decode(ids)
    let expected = String(decoding: text.utf8.filter { !unencodableBytes.contains($0) }, as: UTF8.self)
    precondition(roundTrip == expected, "byte-level BPE round trip \(text.debugDescription) → \(ids) → \(roundTrip.debugDescription)")
    checkStreaming(byteLevel, ids)

    // The same bytes read as arbitrary ids (little-endian pairs, some beyond the vocabulary): decoding never traps,
    // and streaming never splits a character differently from decoding all at once.
    let randomIds = stride(from: 0, to: bytes.count - 1, by: 2).map { Int(bytes[$0]) | Int(bytes[$0 + 1]) << 8 }
    checkStreaming(byteLevel, randomIds.map { $0 % (byteLevel.vocabularySize + 16) })

    for tokenizer in sentencePieces {
        // SentencePiece normalizes (NFKC, whitespace), so only decoding the result is checked, not equality.
        let pieceIds = tokenizer.encode(text)
        precondition(pieceIds.allSatisfy { (0..<tokenizer.vocabularySize).contains($0) }, "id outside the vocabulary")
        checkStreaming(tokenizer, pieceIds)
        checkStreaming(tokenizer, randomIds.map { $0 % (tokenizer.vocabularySize + 4) - 2 })
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    checkTokenizers(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@main enum Main {
    static func main() { fuzzMain(fuzzTestOneInput) }
}
