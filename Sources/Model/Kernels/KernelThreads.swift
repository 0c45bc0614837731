import CKernels
import Foundation
import Synchronization

/// The threads the kernels split their work over: the caller plus `numThreads - 1` workers that stay alive.
///
/// A decode step calls ~150 kernels of 10–100 µs each. `DispatchQueue.concurrentPerform` wakes a sleeping
/// worker thread for each one (a futex wake and a reschedule, tens of µs in a VM), which at those sizes is
/// a large share of the step. These workers instead spin for a while after each job, so the next kernel
/// of the same step finds them awake; only after `spinLimit` idle pauses (~100 µs) do they sleep on a
/// semaphore, so an idle server does not burn its cores.
public final class KernelThreads: Sendable {
    /// One per process: kernels of every model share the cores.
    public static let shared = KernelThreads(numThreads: Kernels.numThreads)

    public let numThreads: Int
    private let workers: [Worker]
    /// Bumped once per job, with the job's thread count in the low byte: a worker reads both in one load, so
    /// one that takes no part in a job never touches `job`.
    private let generation = Atomic<Int>(0)
    /// Workers still running the current job.
    private let remaining = Atomic<Int>(0)
    /// Set while a job runs: a second caller (another engine in the same process, as in tests) runs its job
    /// alone on its own thread instead of waiting.
    private let busy = Atomic<Bool>(false)
    /// The current job: written before `generation` is bumped (release), read by the job's workers after they
    /// see the new generation (acquire), cleared after they all finished.
    nonisolated(unsafe) private var job: ((Int) -> Void)?

    private static let spinLimit = 5000

    private final class Worker: Sendable {
        let sleeping = Atomic<Bool>(false)
        let wakeup = DispatchSemaphore(value: 0)
    }

    init(numThreads: Int) {
        precondition(numThreads < 256, "the thread count shares a word with the job counter")
        self.numThreads = max(1, numThreads)
        workers = (1..<max(1, numThreads)).map { _ in Worker() }
        for (index, worker) in workers.enumerated() {
            // The workers keep the pool alive: it lives as long as the process (a test's pool leaks its sleeping threads).
            let thread = Thread { self.workerLoop(worker, thread: index + 1) }
            thread.name = "kernel-\(index + 1)"
            thread.start()
        }
    }

    /// Runs `body(t)` for t in 0..<threads (at most `numThreads`): t = 0 on the calling thread, the others on
    /// workers. Returns when all have finished.
    public func run(threads requested: Int, _ body: (Int) -> Void) {
        let threads = min(requested, numThreads)
        guard threads > 1, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for t in 0..<requested { body(t) }
            return
        }
        withoutActuallyEscaping(body) { body in
            job = body
            remaining.store(threads - 1, ordering: .relaxed)
            let current = generation.load(ordering: .relaxed)
            generation.store(((current >> 8) + 1) << 8 | threads, ordering: .releasing)
            for worker in workers.prefix(threads - 1) where worker.sleeping.exchange(false, ordering: .acquiringAndReleasing) {
                worker.wakeup.signal()
            }
            body(0)
            while remaining.load(ordering: .acquiring) > 0 { spinPause() }
            job = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// Not inlined so that the worker's reference to the closure is gone before it reports done: the caller
    /// then ends `withoutActuallyEscaping`, which checks that nobody still holds the closure.
    @inline(never)
    private func runJob(_ thread: Int) {
        job?(thread)
    }

    private func workerLoop(_ worker: Worker, thread: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins < Self.spinLimit { spinPause(); continue }
                // Announce the sleep, then look once more: a job posted in between either sees `sleeping` and
                // signals, or was posted before the look and is found by it.
                worker.sleeping.store(true, ordering: .sequentiallyConsistent)
                if generation.load(ordering: .sequentiallyConsistent) != seen {
                    // If the poster already took the flag it also signalled: consume that signal.
                    if !worker.sleeping.exchange(false, ordering: .acquiringAndReleasing) { worker.wakeup.wait() }
                    break
                }
                worker.wakeup.wait()
                spins = 0
            }
            seen = generation.load(ordering: .acquiring)
            if thread < seen & 0xFF {
                runJob(thread)
                remaining.subtract(1, ordering: .releasing)
            }
        }
    }
}
