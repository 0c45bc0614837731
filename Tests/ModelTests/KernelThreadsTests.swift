import Foundation
import Synchronization
import XCTest
@testable import Model

final class KernelThreadsTests: XCTestCase {
    /// Every item runs exactly once per job, and the caller sees all writes when `forEach` returns — over enough
    /// jobs that workers go through both spinning and sleeping.
    func testEveryItemRunsOnceAndResultsAreVisible() {
        let pool = KernelThreads(numThreads: 3)
        let slots = UnsafeMutableBufferPointer<Int>.allocate(capacity: 7)
        defer { slots.deallocate() }
        nonisolated(unsafe) let shared = slots
        for job in 0..<3000 {
            let count = job % 7 + 1
            shared.initialize(repeating: -1)
            pool.forEach(count) { i, _ in shared[i] = shared[i] == -1 ? job * 10 + i : -2 }
            XCTAssertEqual(Array(shared.prefix(count)), (0..<count).map { job * 10 + $0 }, "job \(job)")
            if job % 1000 == 999 { Thread.sleep(forTimeInterval: 0.01) }  // let the workers fall asleep
        }
    }

    /// Items really run on more than one thread (the point of the pool) when they take a while.
    func testWorkersTakeItems() {
        let pool = KernelThreads(numThreads: 2)
        // An NSLock (a pthread mutex), not a Mutex: Synchronization's Mutex waits on a raw futex, which
        // ThreadSanitizer does not see as synchronization, so it reported the insertions as a race.
        final class Seen: @unchecked Sendable {
            private let lock = NSLock()
            private var threads = Set<UInt>()
            func insert(_ thread: UInt) { lock.withLock { _ = threads.insert(thread) } }
            var count: Int { lock.withLock { threads.count } }
        }
        let seen = Seen()
        for _ in 0..<50 {
            pool.forEach(8) { _, thread in
                Thread.sleep(forTimeInterval: 0.001)
                seen.insert(UInt(pthread_self()))
                XCTAssert(thread < 2)
            }
        }
        XCTAssertEqual(seen.count, 2)
    }

    /// Claiming: with `.ownShareFirst` each thread starts on its own contiguous share (the caller at item 0, the
    /// worker at count / 2) and runs a share's items in order; with `.inOrder` both take items from the front.
    func testThreadsStartOnTheirOwnShareOrTheFront() {
        let pool = KernelThreads(numThreads: 2)
        final class Log: @unchecked Sendable {
            private let lock = NSLock()
            private var entries: [(item: Int, thread: Int)] = []
            func append(_ item: Int, _ thread: Int) { lock.withLock { entries.append((item, thread)) } }
            func take() -> [(item: Int, thread: Int)] { lock.withLock { defer { entries = [] }; return entries } }
        }
        let log = Log()
        func run(_ claiming: KernelThreads.Claiming) -> [[Int]] {
            pool.forEach(8, claiming: claiming) { item, thread in
                log.append(item, thread)
                Thread.sleep(forTimeInterval: 0.002)
            }
            let entries = log.take()
            XCTAssertEqual(entries.map(\.item).sorted(), Array(0..<8))
            return (0..<2).map { thread in entries.filter { $0.thread == thread }.map(\.item) }
        }
        var workerStartedOwnShare = false, workerStartedFront = false
        for _ in 0..<20 {
            let byThread = run(.ownShareFirst)
            XCTAssertEqual(byThread[0].first, 0)
            for items in byThread {
                XCTAssertEqual(items.filter { $0 < 4 }, items.filter { $0 < 4 }.sorted())
                XCTAssertEqual(items.filter { $0 >= 4 }, items.filter { $0 >= 4 }.sorted())
            }
            workerStartedOwnShare = workerStartedOwnShare || byThread[1].first == 4
            let inOrder = run(.inOrder)
            workerStartedFront = workerStartedFront || (1...3).contains(inOrder[1].first ?? -1)
        }
        // A worker can be late (a busy machine), so these need only hold once in twenty jobs.
        XCTAssert(workerStartedOwnShare, "the worker never started at its own share")
        XCTAssert(workerStartedFront, "the worker never took an early item in order")
    }

    /// Two callers at once (two engines in one process): both jobs complete, each item once.
    func testConcurrentCallersBothComplete() {
        let pool = KernelThreads(numThreads: 2)
        let total = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<500 { pool.forEach(3) { i, _ in total.add(i + 1, ordering: .relaxed) } }
        }
        XCTAssertEqual(total.load(ordering: .relaxed), 4 * 500 * 6)
    }
}
