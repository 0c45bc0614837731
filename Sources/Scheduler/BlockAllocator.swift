/// The paged KV pool's bookkeeping: a free list of block ids `0..<numBlocks`. It holds no KV data; a
/// sequence's block table is the list of blocks it owns, position p in block `table[p / blockSize]`.
///
/// Verbs after nano-vllm's block manager: `canAllocate`/`allocate` a prompt's blocks at admission,
/// `canAppend`/`mayAppend` one more block when a decode (with its drafts) crosses a block boundary,
/// `release` the blocks of rejected drafts, `deallocate` on finish, cancel or preemption.
public struct BlockAllocator: Sendable, Equatable {
    public let numBlocks: Int
    public let blockSize: Int
    /// Free block ids; allocation pops from the end (block 0 is handed out first from a fresh pool).
    private var freeList: [Int]
    /// `isFree[b]` mirrors membership in `freeList`, to catch a double free without a search.
    private var isFree: [Bool]

    public init(numBlocks: Int, blockSize: Int) {
        self.numBlocks = max(0, numBlocks)
        self.blockSize = max(1, blockSize)
        self.freeList = Array((0..<self.numBlocks).reversed())
        self.isFree = Array(repeating: true, count: self.numBlocks)
    }

    public var numFreeBlocks: Int { freeList.count }
    public var numUsedBlocks: Int { numBlocks - freeList.count }
    /// The free block ids, for invariant checks.
    public var freeBlocks: [Int] { freeList }

    /// Blocks that hold `numTokens` positions: ceil(numTokens / blockSize).
    public func blocksNeeded(numTokens: Int) -> Int {
        (max(0, numTokens) + blockSize - 1) / blockSize
    }

    /// Whether `allocate(numTokens:)` would succeed.
    public func canAllocate(numTokens: Int) -> Bool {
        blocksNeeded(numTokens: numTokens) <= freeList.count
    }

    /// A fresh block table covering `numTokens` positions, or nil (and nothing taken) if the pool is short.
    public mutating func allocate(numTokens: Int) -> [Int]? {
        let needed = blocksNeeded(numTokens: numTokens)
        guard needed <= freeList.count else { return nil }
        var table: [Int] = []
        table.reserveCapacity(needed)
        for _ in 0..<needed { table.append(pop()) }
        return table
    }

    /// Whether `blockTable` can be grown to cover `numTokens` positions.
    public func canAppend(_ blockTable: [Int], toCover numTokens: Int) -> Bool {
        blocksNeeded(numTokens: numTokens) - blockTable.count <= freeList.count
    }

    /// Grows `blockTable` to cover `numTokens` positions (usually one more block when a decode crosses a
    /// block boundary, else nothing). Returns false and leaves everything unchanged if the pool is short.
    @discardableResult
    public mutating func mayAppend(_ blockTable: inout [Int], toCover numTokens: Int) -> Bool {
        guard canAppend(blockTable, toCover: numTokens) else { return false }
        while blockTable.count < blocksNeeded(numTokens: numTokens) { blockTable.append(pop()) }
        return true
    }

    /// Returns every block of `blockTable` to the free list and empties it. Ids that are out of range or
    /// already free are ignored (never freed twice), so the free list stays a set.
    public mutating func deallocate(_ blockTable: inout [Int]) {
        // Reversed so a table freed and reallocated gets the same blocks back in the same order.
        for block in blockTable.reversed() where block >= 0 && block < numBlocks && !isFree[block] {
            isFree[block] = true
            freeList.append(block)
        }
        blockTable.removeAll()
    }

    /// Returns the blocks of `blockTable` past its first `count` to the free list (a sequence whose drafts
    /// were rejected no longer needs the blocks taken for them).
    public mutating func release(_ blockTable: inout [Int], keeping count: Int) {
        guard blockTable.count > count else { return }
        var tail = Array(blockTable[max(0, count)...])
        blockTable.removeLast(tail.count)
        deallocate(&tail)
    }

    private mutating func pop() -> Int {
        let block = freeList.removeLast()
        isFree[block] = false
        return block
    }
}
