import XCTest
import Scheduler

final class BlockPoolTests: XCTestCase {
    func testAllocateAppendFree() {
        var pool = BlockPool(numBlocks: 4, blockSize: 4)
        XCTAssertEqual(pool.blocksNeeded(numTokens: 0), 0)
        XCTAssertEqual(pool.blocksNeeded(numTokens: 4), 1)
        XCTAssertEqual(pool.blocksNeeded(numTokens: 5), 2)

        XCTAssertTrue(pool.canAllocate(numTokens: 9))
        var table = pool.allocate(numTokens: 9)!
        XCTAssertEqual(table, [0, 1, 2])
        XCTAssertEqual(pool.numFreeBlocks, 1)
        XCTAssertFalse(pool.canAllocate(numTokens: 5))
        XCTAssertNil(pool.allocate(numTokens: 5), "nothing taken on failure")
        XCTAssertEqual(pool.numFreeBlocks, 1)

        // Within the last block: no new block.
        XCTAssertTrue(pool.mayAppend(&table, toCover: 12))
        XCTAssertEqual(table, [0, 1, 2])
        // Crossing a boundary takes the last free block; the next crossing fails and changes nothing.
        XCTAssertTrue(pool.mayAppend(&table, toCover: 13))
        XCTAssertEqual(table, [0, 1, 2, 3])
        XCTAssertFalse(pool.canAppend(table, toCover: 17))
        XCTAssertFalse(pool.mayAppend(&table, toCover: 17))
        XCTAssertEqual(table, [0, 1, 2, 3])
        XCTAssertEqual((0..<4).map(pool.referenceCount(of:)), [1, 1, 1, 1])

        var copy = table
        pool.free(&table)
        XCTAssertEqual(table, [])
        XCTAssertEqual(pool.numFreeBlocks, 4)
        pool.free(&copy)
        XCTAssertEqual(pool.numFreeBlocks, 4, "a double free is ignored")
        XCTAssertEqual((0..<4).map(pool.referenceCount(of:)), [0, 0, 0, 0])
        XCTAssertEqual(Set(pool.freeBlocks), [0, 1, 2, 3])
        XCTAssertEqual(pool.allocate(numTokens: 16), [0, 1, 2, 3], "freed blocks come back in order")
    }
}
