import Foundation
import Synchronization
import XCTest
@testable import Model

final class KernelThreadsTests: XCTestCase {
    /// Every thread index runs exactly once per job, jobs do not overlap, and the caller sees all writes when
    /// `run` returns — over enough jobs that workers go through both spinning and sleeping.
    func testEveryIndexRunsOncePerJobAndResultsAreVisible() {
        let pool = KernelThreads(numThreads: 3)
        let slots = UnsafeMutableBufferPointer<Int>.allocate(capacity: 3)
        defer { slots.deallocate() }
        nonisolated(unsafe) let shared = slots
        for job in 0..<3000 {
            shared.initialize(repeating: -1)
            pool.run(threads: 3) { t in shared[t] = job * 10 + t }
            XCTAssertEqual(Array(shared), [job * 10, job * 10 + 1, job * 10 + 2], "job \(job)")
            if job % 1000 == 999 { Thread.sleep(forTimeInterval: 0.01) }  // let the workers fall asleep
        }
    }

    /// Fewer threads than the pool has: the extra worker takes no part.
    func testSmallerJobsUseOnlyTheirThreads() {
        let pool = KernelThreads(numThreads: 3)
        let count = Atomic<Int>(0)
        for _ in 0..<500 {
            pool.run(threads: 2) { t in
                XCTAssertLessThan(t, 2)
                count.add(1, ordering: .relaxed)
            }
        }
        XCTAssertEqual(count.load(ordering: .relaxed), 1000)
    }

    /// Two callers at once (two engines in one process): both jobs complete, each index once.
    func testConcurrentCallersBothComplete() {
        let pool = KernelThreads(numThreads: 2)
        let total = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<500 { pool.run(threads: 2) { t in total.add(t + 1, ordering: .relaxed) } }
        }
        XCTAssertEqual(total.load(ordering: .relaxed), 4 * 500 * 3)
    }
}
