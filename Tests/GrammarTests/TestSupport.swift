import Foundation
import Grammar
import Tokenizer
import XCTest

/// Repository root: this file is `<root>/Tests/GrammarTests/TestSupport.swift`.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let modelDirectory = repoRoot.appendingPathComponent("weights/smol-135m")
let grammarFixtures = repoRoot.appendingPathComponent("Tests/Fixtures/grammar")

/// The real SmolLM2 tokenizer and its vocabulary (EOS: <|im_end|> and <|endoftext|>), or nil without weights.
let realVocabulary: (tokenizer: Tokenizer, vocabulary: TokenVocabulary)? = {
    guard FileManager.default.fileExists(atPath: modelDirectory.appendingPathComponent("tokenizer.json").path),
          let tokenizer = try? Tokenizer(directory: modelDirectory) else { return nil }
    var eos: Set<Int> = []
    if let id = tokenizer.eosTokenId { eos.insert(id) }
    if let id = tokenizer.tokenToId("<|endoftext|>") { eos.insert(id) }
    return (tokenizer, TokenVocabulary(tokenBytes: tokenizer.allTokenBytes(), eosTokenIds: eos))
}()

/// A tiny vocabulary: every single byte as a token (ids 0...255) plus a few multi-byte ones and EOS.
let byteVocabulary: TokenVocabulary = {
    var tokens: [[UInt8]?] = (0..<256).map { [UInt8($0)] }
    for text in ["{\"", "\":", "\",\"", "true", "null", "12", "\"}", "ab"] { tokens.append(Array(text.utf8)) }
    tokens.append(nil)  // 264: EOS
    tokens.append(nil)  // 265: another special token
    return TokenVocabulary(tokenBytes: tokens, eosTokenIds: [264])
}()

func compile(_ schema: String, file: StaticString = #filePath, line: UInt = #line) throws -> CompiledGrammar {
    do {
        return try CompiledGrammar.jsonSchema(schema)
    } catch {
        XCTFail("schema \(schema): \(error)", file: file, line: line)
        throw error
    }
}

/// Whether `text` is accepted byte by byte and is complete at the end.
func matches(_ grammar: CompiledGrammar, _ text: String) -> Bool {
    var matcher = GrammarMatcher(grammar: grammar, vocabulary: byteVocabulary)
    for byte in text.utf8 where !matcher.accept(bytes: [byte]) { return false }
    return matcher.isComplete
}
