// libFuzzer target: bytes → text → ids → text with the real SmolLM2 byte-level BPE tokenizer and the SentencePiece
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
    precondition(roundTrip == text, "byte-level BPE round trip \(text.debugDescription) → \(ids) → \(roundTrip.debugDescription)")
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
