import Foundation
import XCTest
@testable import Tokenizer

/// Repository root: this file is `<root>/Tests/TokenizerTests/TestSupport.swift`.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let modelDirectory = repoRoot.appendingPathComponent("weights/smol-135m")
let fixturesDirectory = repoRoot.appendingPathComponent("Tests/Fixtures")

struct MissingWeightsError: Error, CustomStringConvertible {
    var path: String
    var description: String { "missing \(path): fetch the weights first (scripts/fetch_weights.sh)" }
}

/// Loaded once and shared: `Tokenizer` is immutable and `Sendable`.
private let realTokenizer: Result<Tokenizer, any Error> = Result {
    let path = modelDirectory.appendingPathComponent("tokenizer.json").path
    guard FileManager.default.fileExists(atPath: path) else { throw MissingWeightsError(path: path) }
    return try Tokenizer(directory: modelDirectory)
}

/// The real SmolLM tokenizer; throws (failing the test) with instructions if the weights are not fetched.
func loadRealTokenizer() throws -> Tokenizer {
    try realTokenizer.get()
}

func loadFixture<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
    let data = try Data(contentsOf: fixturesDirectory.appendingPathComponent(name))
    return try JSONDecoder().decode(T.self, from: data)
}

/// Runs a pre-tokenizer over `text` and returns the pieces as strings.
func pieces(_ preTokenizer: any PreTokenizer, _ text: String) -> [String] {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBufferPointer { buffer in
        var output: [Range<Int>] = []
        preTokenizer.split(buffer, piece: 0..<buffer.count, into: &output)
        return output.map { String(decoding: bytes[$0], as: UTF8.self) }
    }
}
