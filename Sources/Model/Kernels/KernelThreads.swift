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
/// Each thread first works through its own contiguous share of a job's items, in order, then claims what is left of
/// the others' shares item by item: a thread's panels of a GEMM are adjacent, so the kernel's prefetch runs on into
/// its next item instead of into another thread's, and each thread streams one range of the weights. Against items
/// claimed from one shared counter: `bench model-matmul` 5.2–5.5 → 4.5–4.8 ms at one row, 10.7–11.8 → 10.5–10.7
/// at 16; the server's c=1 decode 156–160 → 171–184 tok/s, c=16 +3% (alternated fresh servers).
/// Nothing is assigned for good: if a worker is late or the OS has descheduled it (a busy machine), the caller
/// simply takes its items, so no one waits on an absent thread.
public final class KernelThreads: Sendable {
    /// One per process: kernels of every model share the cores.
    public static let shared = KernelThreads(numThreads: Kernels.numThreads)

    public let numThreads: Int
    private let workers: [Worker]
    /// Bumped by two per job; the low bit says the job is open to workers joining it.
    private let generation = Atomic<Int>(0)
    /// Thread t's share of the current job's items (by `forEach`'s thread index), and how many items have finished.
    private let shares: [Share]
    private let numDone = Atomic<Int>(0)
    /// Workers inside the current job. The caller closes the job, then waits for this to reach zero before it
    /// touches `job` again.
    private let numActive = Atomic<Int>(0)
    /// Set while a job runs: a second caller (another engine in the same process, as in tests) runs its items
    /// itself instead of waiting.
    private let busy = Atomic<Bool>(false)
    /// The current job; written before the job opens, read only by workers inside it.
    nonisolated(unsafe) private var job: ((Int, Int) -> Void)?

    /// Items `next..<end` of one thread's share not yet claimed. Its owner claims from the front, and so does a
    /// thread that has finished its own share.
    private final class Share: Sendable {
        let next = Atomic<Int>(0)
        nonisolated(unsafe) var end = 0
    }

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
        shares = (0..<max(1, numThreads)).map { _ in Share() }
        for worker in workers {
            // The workers keep the pool alive: it lives as long as the process (a test's pool leaks its sleeping threads).
            let thread = Thread { self.workerLoop(worker) }
            thread.name = "kernel-\(worker.thread)"
            thread.start()
        }
    }

    /// How the threads take a job's items.
    public enum Claiming: Sendable {
        /// Each thread its own contiguous share first, then what is left of the others': for items that are
        /// adjacent memory (panels of a matrix, rows).
        case ownShareFirst
        /// All threads from one counter in item order: for items sorted longest first, so the threads end on
        /// the short ones together (attention over contexts of different lengths).
        case inOrder
    }

    /// Runs `body(item, thread)` for every item in 0..<count, spread over the caller (thread 0) and the workers
    /// (threads 1..<numThreads) as `claiming` says, but with no fixed assignment: the thread index is for
    /// per-thread scratch space, and results must not depend on it. Returns when all items have finished.
    public func forEach(_ count: Int, claiming: Claiming = .ownShareFirst, _ body: (_ item: Int, _ thread: Int) -> Void) {
        guard count > 1, numThreads > 1, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for i in 0..<count { body(i, 0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            job = body
            for (thread, share) in shares.enumerated() {
                let range = switch claiming {
                case .ownShareFirst: thread * count / numThreads..<(thread + 1) * count / numThreads
                case .inOrder: thread == 0 ? 0..<count : count..<count
                }
                share.next.store(range.lowerBound, ordering: .relaxed)
                share.end = range.upperBound
            }
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

    /// Runs items until none are left, its own share first. Not inlined, so that the closure reference it takes is
    /// released before the worker leaves the job: `withoutActuallyEscaping` checks that nobody still holds the closure.
    @inline(never)
    private func claimItems(thread: Int) {
        guard let job else { return }
        for offset in 0..<numThreads {
            let share = shares[(thread + offset) % numThreads]
            while true {
                let item = share.next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard item < share.end else { break }
                job(item, thread)
                numDone.add(1, ordering: .releasing)
            }
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
