import CKernels
import Foundation
import Synchronization

/// The threads the kernels split their work over: the caller plus `numThreads - 1` workers that stay alive.
///
/// A decode step calls ~150 kernels of 10–100 µs each. `DispatchQueue.concurrentPerform` wakes a sleeping
/// worker thread for each one (a futex wake and a reschedule, tens of µs in a VM); perf on a one-row decode
/// showed the caller running two thirds of the GEMM panels because the worker arrived late. These workers
/// instead spin for a while after each job, so the next kernel of the same step finds them awake; only after
/// `spinLimit` idle pauses (~100 µs) do they sleep on a semaphore, so an idle server does not burn its cores.
///
/// Work is claimed item by item from a shared counter, never assigned up front: if a worker is late or the OS
/// has descheduled it (a busy machine), the caller simply takes its items, so no one waits on an absent thread.
public final class KernelThreads: Sendable {
    /// One per process: kernels of every model share the cores.
    public static let shared = KernelThreads(numThreads: Kernels.numThreads)

    public let numThreads: Int
    private let workers: [Worker]
    /// Bumped by two per job; the low bit says the job is open to workers joining it.
    private let generation = Atomic<Int>(0)
    /// The next item to claim, and how many items have finished.
    private let nextItem = Atomic<Int>(0)
    private let numDone = Atomic<Int>(0)
    /// Workers inside the current job. The caller closes the job, then waits for this to reach zero before it
    /// touches `job` again.
    private let numActive = Atomic<Int>(0)
    /// Set while a job runs: a second caller (another engine in the same process, as in tests) runs its items
    /// itself instead of waiting.
    private let busy = Atomic<Bool>(false)
    /// The current job; written before the job opens, read only by workers inside it.
    nonisolated(unsafe) private var job: ((Int, Int) -> Void)?
    nonisolated(unsafe) private var numItems = 0

    private static let spinLimit = 5000
    /// Pauses a waiting caller spins before it starts yielding its time slice.
    private static let yieldAfter = 2000

    private final class Worker: Sendable {
        let thread: Int
        let sleeping = Atomic<Bool>(false)
        let wakeup = DispatchSemaphore(value: 0)
        init(thread: Int) { self.thread = thread }
    }

    init(numThreads: Int) {
        self.numThreads = max(1, numThreads)
        workers = (1..<max(1, numThreads)).map { Worker(thread: $0) }
        for worker in workers {
            // The workers keep the pool alive: it lives as long as the process (a test's pool leaks its sleeping threads).
            let thread = Thread { self.workerLoop(worker) }
            thread.name = "kernel-\(worker.thread)"
            thread.start()
        }
    }

    /// Runs `body(item, thread)` for every item in 0..<count, spread over the caller (thread 0) and the workers
    /// (threads 1..<numThreads) in no particular order or assignment: the thread index is for per-thread scratch
    /// space, and results must not depend on it. Returns when all items have finished.
    public func forEach(_ count: Int, _ body: (_ item: Int, _ thread: Int) -> Void) {
        guard count > 1, numThreads > 1, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for i in 0..<count { body(i, 0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            job = body
            numItems = count
            nextItem.store(0, ordering: .relaxed)
            numDone.store(0, ordering: .relaxed)
            let open = generation.load(ordering: .relaxed) + 2 | 1
            generation.store(open, ordering: .sequentiallyConsistent)
            for worker in workers where worker.sleeping.exchange(false, ordering: .acquiringAndReleasing) {
                worker.wakeup.signal()
            }
            claimItems(thread: 0)
            wait { self.numDone.load(ordering: .acquiring) == count }
            generation.store(open & ~1, ordering: .sequentiallyConsistent)
            wait { self.numActive.load(ordering: .sequentiallyConsistent) == 0 }
            job = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// Runs items until none are left. Not inlined, so that the closure reference it takes is released before
    /// the worker leaves the job: `withoutActuallyEscaping` checks that nobody still holds the closure.
    @inline(never)
    private func claimItems(thread: Int) {
        guard let job else { return }
        while true {
            let item = nextItem.wrappingAdd(1, ordering: .relaxed).oldValue
            guard item < numItems else { return }
            job(item, thread)
            numDone.add(1, ordering: .releasing)
        }
    }

    private func wait(until condition: () -> Bool) {
        var spins = 0
        while !condition() {
            spins += 1
            if spins < Self.yieldAfter { spinPause() } else { spinYield() }
        }
    }

    private func workerLoop(_ worker: Worker) {
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
            seen = generation.load(ordering: .sequentiallyConsistent)
            guard seen & 1 == 1 else { continue }
            // Join, then check the job is still open: the caller closes it before waiting for `numActive` to
            // drain, so either it sees this worker or this worker sees the job closed.
            numActive.add(1, ordering: .sequentiallyConsistent)
            if generation.load(ordering: .sequentiallyConsistent) == seen { claimItems(thread: worker.thread) }
            numActive.subtract(1, ordering: .sequentiallyConsistent)
        }
    }
}
