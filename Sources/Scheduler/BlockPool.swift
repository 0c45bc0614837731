/// The paged KV pool's bookkeeping: a reference count per block id `0..<numBlocks` and the queue of free
/// blocks. It holds no KV data; a sequence's block table is the list of blocks it reads, position p in block
/// `table[p / blockSize]`. A block's count is the number of block tables that list it; it is in the free queue
/// exactly when that count is zero.
///
/// Verbs after nano-vllm's block manager: `canAllocate`/`allocate` a prompt's blocks at admission,
/// `canAppend`/`mayAppend` one more block when a decode (with its drafts) crosses a block boundary,
/// `release` the blocks of rejected drafts, `free` on finish, cancel or preemption.
public struct BlockPool: Sendable {
    public let numBlocks: Int
    public let blockSize: Int
    private var referenceCounts: [Int]
    private var freeQueue: FreeBlockQueue

    public init(numBlocks: Int, blockSize: Int) {
        self.numBlocks = max(0, numBlocks)
        self.blockSize = max(1, blockSize)
        referenceCounts = Array(repeating: 0, count: self.numBlocks)
        freeQueue = FreeBlockQueue(numBlocks: self.numBlocks)
    }

    /// Blocks no sequence lists: what allocation can take.
    public var numFreeBlocks: Int { freeQueue.count }
    public var numUsedBlocks: Int { numBlocks - freeQueue.count }
    /// The free block ids, next to be allocated first (for invariant checks).
    public var freeBlocks: [Int] { freeQueue.blocks }
    /// How many block tables list `block`.
    public func referenceCount(of block: Int) -> Int { referenceCounts[block] }

    /// Blocks that hold `numTokens` positions: ceil(numTokens / blockSize).
    public func blocksNeeded(numTokens: Int) -> Int {
        (max(0, numTokens) + blockSize - 1) / blockSize
    }

    /// Whether `allocate(numTokens:)` would succeed.
    public func canAllocate(numTokens: Int) -> Bool {
        blocksNeeded(numTokens: numTokens) <= freeQueue.count
    }

    /// A fresh block table covering `numTokens` positions, or nil (and nothing taken) if the pool is short.
    public mutating func allocate(numTokens: Int) -> [Int]? {
        let needed = blocksNeeded(numTokens: numTokens)
        guard needed <= freeQueue.count else { return nil }
        var table: [Int] = []
        table.reserveCapacity(needed)
        for _ in 0..<needed { table.append(takeFreeBlock()) }
        return table
    }

    /// Whether `blockTable` can be grown to cover `numTokens` positions.
    public func canAppend(_ blockTable: [Int], toCover numTokens: Int) -> Bool {
        blocksNeeded(numTokens: numTokens) - blockTable.count <= freeQueue.count
    }

    /// Grows `blockTable` to cover `numTokens` positions (usually one more block when a decode crosses a
    /// block boundary, else nothing). Returns false and leaves everything unchanged if the pool is short.
    @discardableResult
    public mutating func mayAppend(_ blockTable: inout [Int], toCover numTokens: Int) -> Bool {
        guard canAppend(blockTable, toCover: numTokens) else { return false }
        while blockTable.count < blocksNeeded(numTokens: numTokens) { blockTable.append(takeFreeBlock()) }
        return true
    }

    /// Drops `blockTable`'s reference to each of its blocks and empties it; a block no other table lists
    /// becomes free. Ids out of range or already free are ignored (never freed twice).
    public mutating func free(_ blockTable: inout [Int]) {
        // Reversed so a table freed and reallocated gets the same blocks back in the same order.
        for block in blockTable.reversed() where block >= 0 && block < numBlocks && referenceCounts[block] > 0 {
            referenceCounts[block] -= 1
            if referenceCounts[block] == 0 { freeQueue.pushFront(block) }
        }
        blockTable.removeAll()
    }

    /// Frees the blocks of `blockTable` past its first `count` (a sequence whose drafts were rejected no
    /// longer needs the blocks taken for them).
    public mutating func release(_ blockTable: inout [Int], keeping count: Int) {
        guard blockTable.count > count else { return }
        var tail = Array(blockTable[max(0, count)...])
        blockTable.removeLast(tail.count)
        free(&tail)
    }

    private mutating func takeFreeBlock() -> Int {
        let block = freeQueue.popFront()!
        referenceCounts[block] = 1
        return block
    }
}
