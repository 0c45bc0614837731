import Foundation
import Synchronization

enum ExecutorError: Error, CustomStringConvertible {
    case shutDown

    var description: String { "the engine is shutting down" }
}

/// Runs blocking work one job at a time, in submission order, on its own OS thread, so that
/// CPU-bound compute never occupies Swift's cooperative pool or the NIO event loops.
///
/// Invariant: the semaphore is signalled once per queued job plus once for shutdown, so the thread
/// wakes with an empty queue only after `shutdown()`, after every earlier job has run.
final class DedicatedThreadExecutor: Sendable {
    private typealias Job = @Sendable () -> Void

    private struct State {
        var jobs: [Job] = []
        var isShutDown = false
    }

    private let state = Mutex(State())
    private let wakeups = DispatchSemaphore(value: 0)

    init(name: String) {
        // Named from inside: on Linux a name set before `start()` is not visible to `Thread.current`.
        let thread = Thread { [self] in
            Thread.current.name = name
            runLoop()
        }
        thread.start()
    }

    /// Runs `work` on the executor's thread and returns its result.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job: Job = { continuation.resume(with: Result { try work() }) }
            let accepted = state.withLock { state -> Bool in
                guard !state.isShutDown else { return false }
                state.jobs.append(job)
                return true
            }
            if accepted {
                wakeups.signal()
            } else {
                continuation.resume(throwing: ExecutorError.shutDown)
            }
        }
    }

    /// Lets already-queued jobs finish, rejects new ones, then ends the thread.
    func shutdown() {
        let first = state.withLock { state -> Bool in
            defer { state.isShutDown = true }
            return !state.isShutDown
        }
        if first { wakeups.signal() }
    }

    private func runLoop() {
        while true {
            wakeups.wait()
            let job = state.withLock { state -> Job? in
                state.jobs.isEmpty ? nil : state.jobs.removeFirst()
            }
            guard let job else { return }
            job()
        }
    }
}
