import Foundation
import Testing

@testable import Serve

@Suite struct ExecutorTests {
    @Test func runsJobsInOrderOffTheCallingThread() async throws {
        let executor = DedicatedThreadExecutor(name: "test-executor")
        defer { executor.shutdown() }
        let name = try await executor.run { Thread.current.name }
        #expect(name == "test-executor")
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<20 { group.addTask { try await executor.run { i * i } } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.sorted() == (0..<20).map { $0 * $0 })
    }

    @Test func propagatesErrors() async throws {
        struct Failure: Error {}
        let executor = DedicatedThreadExecutor(name: "test-executor")
        defer { executor.shutdown() }
        await #expect(throws: Failure.self) { try await executor.run { throw Failure() } }
    }

    @Test func rejectsWorkAfterShutdown() async throws {
        let executor = DedicatedThreadExecutor(name: "test-executor")
        executor.shutdown()
        executor.shutdown()
        await #expect(throws: ExecutorError.self) { try await executor.run { 1 } }
    }
}
