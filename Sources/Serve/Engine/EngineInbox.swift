import Dispatch
import Scheduler
import Synchronization

/// A request accepted by `generate`, on its way to the engine thread.
struct Submission: Sendable {
    var id: SequenceID
    var request: GenerationRequest
    var continuation: AsyncStream<GenerationEvent>.Continuation
    var arrivalTime: Double
}

/// What the engine's callers hand its thread: new requests, cancellations and shutdown, behind one lock.
/// The thread sleeps on `wakeups` when it has nothing to do; every post signals it.
///
/// Also holds the numbers `generate` checks synchronously (requests not yet running, against the waiting
/// bound) and the last scheduler snapshot, for /metrics and tests.
final class EngineInbox: Sendable {
    enum ShutdownMode: Sendable {
        /// Finish every accepted request normally, then stop.
        case drain
        /// End every accepted request now with `.failed(.shuttingDown)`, then stop.
        case cancelInFlight
    }

    struct Mail {
        var submissions: [Submission] = []
        var cancellations: [SequenceID] = []
        var shutdown: ShutdownMode?
    }

    private struct State {
        var mail = Mail()
        /// Accepted requests that have not started running (in the mail, or waiting in the scheduler).
        var numUnstarted = 0
        var stats: SchedulerStats?
    }

    private let state = Mutex(State())
    private let wakeups = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)
    let maxWaitingRequests: Int

    init(maxWaitingRequests: Int) {
        self.maxWaitingRequests = maxWaitingRequests
    }

    /// Queues `submission` unless shutting down or the waiting bound is reached.
    func submit(_ submission: Submission) throws(EngineError) {
        let error = state.withLock { state -> EngineError? in
            guard state.mail.shutdown == nil else { return .shuttingDown }
            guard state.numUnstarted < maxWaitingRequests else { return .overloaded(limit: maxWaitingRequests) }
            state.numUnstarted += 1
            state.mail.submissions.append(submission)
            return nil
        }
        if let error { throw error }
        wakeups.signal()
    }

    func cancel(_ id: SequenceID) {
        state.withLock { $0.mail.cancellations.append(id) }
        wakeups.signal()
    }

    /// Stops accepting requests. A drain can still become `.cancelInFlight` (a grace period ran out); nothing
    /// else changes a mode once set. Returns false if nothing changed.
    @discardableResult
    func shutdown(_ mode: ShutdownMode) -> Bool {
        let changed = state.withLock { state -> Bool in
            guard state.mail.shutdown == nil || (state.mail.shutdown == .drain && mode == .cancelInFlight) else { return false }
            state.mail.shutdown = mode
            return true
        }
        if changed { wakeups.signal() }
        return changed
    }

    var isShuttingDown: Bool { state.withLock { $0.mail.shutdown != nil } }

    // MARK: Engine thread side

    /// Takes the new requests and cancellations (the shutdown mode stays set).
    func takeMail() -> Mail {
        state.withLock { state in
            defer {
                state.mail.submissions = []
                state.mail.cancellations = []
            }
            return state.mail
        }
    }

    /// Sleeps until something is posted (or `timeout` seconds pass).
    func waitForMail(timeout: Double? = nil) {
        if let timeout {
            _ = wakeups.wait(timeout: .now() + timeout)
        } else {
            wakeups.wait()
        }
    }

    /// `count` accepted requests started running or ended before starting.
    func markStarted(_ count: Int) {
        guard count > 0 else { return }
        state.withLock { $0.numUnstarted -= count }
    }

    func publish(_ stats: SchedulerStats) {
        state.withLock { $0.stats = stats }
    }

    var stats: SchedulerStats? { state.withLock { $0.stats } }

    var numUnstarted: Int { state.withLock { $0.numUnstarted } }

    /// Called by the engine thread as its last act.
    func markExited() { exited.signal() }

    /// Blocks until the engine thread has exited.
    func waitUntilExited() {
        exited.wait()
        exited.signal()  // later callers return at once
    }
}
