import Foundation
import XCTest
@testable import Model

/// Repository paths, found from this file's location so tests run from any working directory.
enum Paths {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repoRoot.appendingPathComponent("Tests/Fixtures")
    static let smolWeights = repoRoot.appendingPathComponent("weights/smol-135m")
}

/// The real model, loaded once for all tests (loading converts ~135M weights to f32).
enum SharedModels {
    static let smol: Result<LlamaModel, Error> = Result {
        guard FileManager.default.fileExists(atPath: Paths.smolWeights.appendingPathComponent("model.safetensors").path) else {
            throw ModelError.missingFile("\(Paths.smolWeights.path) — run scripts/fetch_weights.sh (or `swift run serve` once)")
        }
        return try LlamaModel(directory: Paths.smolWeights)
    }
    static let tiny: Result<LlamaModel, Error> = Result { try LlamaModel(directory: Paths.fixtures.appendingPathComponent("tiny-llama")) }
}

func loadJSON<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
    let data = try Data(contentsOf: Paths.fixtures.appendingPathComponent(name))
    return try JSONDecoder().decode(T.self, from: data)
}

extension KernelPath {
    /// The paths this CPU supports, printing a note for each one it lacks (a skip, not a failure).
    static func testedPaths(excluding excluded: Set<KernelPath> = []) -> [KernelPath] {
        for path in allCases where !path.isSupported && !excluded.contains(path) {
            print("note: kernel path \(path.rawValue) not tested: this CPU lacks its instructions")
        }
        return allCases.filter { $0.isSupported && !excluded.contains($0) }
    }
}
