import Foundation

/// Everything that can go wrong loading a tokenizer or rendering a chat template.
public enum TokenizerError: Error, Equatable {
    /// A required file is absent; carries its path.
    case missingFile(String)
    /// A file exists but cannot be used; carries its path and what is wrong (naming the field).
    case invalidFile(String, reason: String)
    /// The chat template failed to parse or raised while rendering.
    case templateError(String)
}
