import Foundation

// PLACEHOLDER API — being implemented (see the Tokenizer task). Signatures are the contract Serve codes against.

/// One chat turn as given to a chat template.
public struct ChatMessage: Sendable, Codable, Equatable {
    public var role: String
    public var content: String
    public init(role: String, content: String) { self.role = role; self.content = content }
}

public enum TokenizerError: Error, Equatable {
    case missingFile(String)
    case invalidFile(String, reason: String)
    case templateError(String)
}

/// Text <-> token ids for one model directory.
public final class Tokenizer: Sendable {
    public let vocabularySize: Int
    public let bosTokenId: Int?
    public let eosTokenId: Int?

    public init(directory: URL) throws {
        vocabularySize = 0; bosTokenId = nil; eosTokenId = nil
        throw TokenizerError.missingFile(directory.path)
    }

    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] { [] }
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String { "" }
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String { "" }
    public func makeStreamDecoder(skipSpecialTokens: Bool = false) -> StreamDecoder { StreamDecoder() }
}

/// Turns a stream of ids into text chunks, never splitting a UTF-8 character.
public struct StreamDecoder: Sendable {
    public mutating func append(_ id: Int) -> String { "" }
    public mutating func finish() -> String { "" }
}
