import Foundation
import ServiceLifecycle
import Testing

@testable import Serve

/// A short run of `scripts/soak.py` (the 30-minute soak's mix: streaming and not, chat and completions, random
/// parameters, dropped streams, malformed requests) against the real service graph, so every `swift test` — and CI —
/// fails on a 5xx, a malformed response or a server left busy. Memory growth needs the long run (README).
@Suite(.enabled(if: EngineFixture.isAvailable, "weights/smol-135m not fetched"))
struct SoakTests {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test(.timeLimit(.minutes(4)))
    func shortSoakAgainstTheServiceGraph() async throws {
        var config = EngineConfig.forTests
        config.kvCacheMemoryBytes = 128 << 20
        let graph = try await LocalServiceGraph.start(config)

        let soak = Process()
        soak.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        soak.arguments = [
            "python3", Self.repoRoot.appendingPathComponent("scripts/soak.py").path,
            "--url", "http://127.0.0.1:\(graph.port)", "--minutes", "0.5", "-c", "6",
        ]
        let output = Pipe()
        soak.standardOutput = output
        soak.standardError = output
        try soak.run()
        // Read on a thread of its own: the pipe must be drained while the script runs.
        let text = await Task.detached { String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }.value
        soak.waitUntilExit()
        #expect(soak.terminationStatus == 0, "\(text)")
        #expect(text.contains("soak: OK"), "\(text)")

        await graph.group.triggerGracefulShutdown()
        try await graph.running.value
    }
}
