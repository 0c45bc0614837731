import XCTest
import Scheduler

final class BlockAllocatorTests: XCTestCase {
    func testAllocateAppendDeallocate() {
        var allocator = BlockAllocator(numBlocks: 4, blockSize: 4)
        XCTAssertEqual(allocator.blocksNeeded(numTokens: 0), 0)
        XCTAssertEqual(allocator.blocksNeeded(numTokens: 4), 1)
        XCTAssertEqual(allocator.blocksNeeded(numTokens: 5), 2)

        XCTAssertTrue(allocator.canAllocate(numTokens: 9))
        var table = allocator.allocate(numTokens: 9)!
        XCTAssertEqual(table, [0, 1, 2])
        XCTAssertEqual(allocator.numFreeBlocks, 1)
        XCTAssertFalse(allocator.canAllocate(numTokens: 5))
        XCTAssertNil(allocator.allocate(numTokens: 5), "nothing taken on failure")
        XCTAssertEqual(allocator.numFreeBlocks, 1)

        // Within the last block: no new block.
        XCTAssertTrue(allocator.mayAppend(&table, toCover: 12))
        XCTAssertEqual(table, [0, 1, 2])
        // Crossing a boundary takes the last free block; the next crossing fails and changes nothing.
        XCTAssertTrue(allocator.mayAppend(&table, toCover: 13))
        XCTAssertEqual(table, [0, 1, 2, 3])
        XCTAssertFalse(allocator.canAppend(table, toCover: 17))
        XCTAssertFalse(allocator.mayAppend(&table, toCover: 17))
        XCTAssertEqual(table, [0, 1, 2, 3])

        var copy = table
        allocator.deallocate(&table)
        XCTAssertEqual(table, [])
        XCTAssertEqual(allocator.numFreeBlocks, 4)
        allocator.deallocate(&copy)
        XCTAssertEqual(allocator.numFreeBlocks, 4, "a double free is ignored")
        XCTAssertEqual(Set(allocator.freeBlocks), [0, 1, 2, 3])
        XCTAssertEqual(allocator.allocate(numTokens: 16), [0, 1, 2, 3], "freed blocks come back in order")
    }
}
