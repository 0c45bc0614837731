import Foundation

/// A model to load: the name clients use and the directory holding its files.
struct ResolvedModel: Sendable, Equatable {
    var name: String
    var directory: URL
}

/// Turns `--model NAME_OR_PATH` into a model directory, fetching configured weights when missing.
struct ModelResolver: Sendable {
    var config: ServerConfig
    /// Paths in the config are relative to this directory.
    var configDirectory: URL
    /// Runs a fetch script with the destination directory as its argument.
    var fetch: @Sendable (_ script: URL, _ destination: URL) async throws -> Void = ModelResolver.runScript

    /// A configured name wins over a path of the same spelling. A path is served under the name given.
    func resolve(_ nameOrPath: String) async throws -> ResolvedModel {
        if let entry = config.models[nameOrPath] {
            let directory = resolvePath(entry.path)
            if !Self.isModelDirectory(directory) {
                guard let script = entry.fetchScript else {
                    throw ServeError.missingWeights(name: nameOrPath, path: directory.path)
                }
                try await fetch(resolvePath(script), directory)
                guard Self.isModelDirectory(directory) else { throw ServeError.notAModelDirectory(directory.path) }
            }
            return ResolvedModel(name: nameOrPath, directory: directory)
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: nameOrPath, isDirectory: &isDirectory), isDirectory.boolValue {
            let directory = URL(fileURLWithPath: nameOrPath, isDirectory: true)
            guard Self.isModelDirectory(directory) else { throw ServeError.notAModelDirectory(nameOrPath) }
            return ResolvedModel(name: nameOrPath, directory: directory)
        }
        throw ServeError.unknownModel(nameOrPath, known: config.models.keys.sorted())
    }

    private func resolvePath(_ path: String) -> URL {
        path.hasPrefix("/")
            ? URL(fileURLWithPath: path)
            : configDirectory.appendingPathComponent(path)
    }

    /// config.json and a tokenizer: tokenizer.json (byte-level BPE) or tokenizer.model (SentencePiece).
    static func isModelDirectory(_ directory: URL) -> Bool {
        let has = { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
        return has("config.json") && (has("tokenizer.json") || has("tokenizer.model"))
    }

    /// Runs `script destination` with stdout and stderr passed through, so its progress is visible.
    @Sendable static func runScript(_ script: URL, destination: URL) async throws {
        print("serve: fetching weights with \(script.path) \(destination.path)")
        let process = Process()
        process.executableURL = script
        process.arguments = [destination.path]
        process.standardOutput = FileHandle.standardOutput
        process.standardError = FileHandle.standardError
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        guard status == 0 else { throw ServeError.fetchFailed(script: script.path, status: status) }
    }
}
