/// The paged KV pool's bookkeeping: a reference count per block id `0..<numBlocks`, the queue of free blocks,
/// and the prefix cache — a table from `BlockHash` to the block holding that content. It holds no KV data; a
/// sequence's block table is the list of blocks it reads, position p in block `table[p / blockSize]`.
///
/// A block's count is the number of block tables that list it; it is in the free queue exactly when that
/// count is zero. A free block may still be cached: it keeps its hash until allocation takes it for something
/// else (eviction), least recently freed first, so a prefix nobody runs right now survives as long as the pool
/// allows. Blocks without a hash are taken before any cached one.
///
/// Verbs after nano-vllm's block manager: `cachedPrefix` + `canAllocate`/`allocate` a prompt's blocks at
/// admission, `canAppend`/`mayAppend` one more block when a decode (with its drafts) crosses a block boundary,
/// `publish` a block once it is full of final tokens, `release` the blocks of rejected drafts, `free` on
/// finish, cancel or preemption.
public struct BlockPool: Sendable {
    public let numBlocks: Int
    public let blockSize: Int
    /// Off: nothing is published or found, and the pool is a plain free list.
    public let isCaching: Bool
    private var referenceCounts: [Int]
    private var freeQueue: FreeBlockQueue
    private var hashes: [BlockHash?]
    private var cachedBlocks: [BlockHash: Int] = [:]
    /// Cached blocks taken for other content since the start.
    public private(set) var numEvictions = 0

    public init(numBlocks: Int, blockSize: Int, isCaching: Bool = false) {
        self.numBlocks = max(0, numBlocks)
        self.blockSize = max(1, blockSize)
        self.isCaching = isCaching
        referenceCounts = Array(repeating: 0, count: self.numBlocks)
        freeQueue = FreeBlockQueue(numBlocks: self.numBlocks)
        hashes = Array(repeating: nil, count: self.numBlocks)
    }

    /// Blocks no sequence lists (cached or not): what allocation can take.
    public var numFreeBlocks: Int { freeQueue.count }
    public var numUsedBlocks: Int { numBlocks - freeQueue.count }
    /// Blocks findable by their hash, in use or free.
    public var numCachedBlocks: Int { cachedBlocks.count }
    /// The free block ids, next to be allocated first (for invariant checks).
    public var freeBlocks: [Int] { freeQueue.blocks }
    /// How many block tables list `block`.
    public func referenceCount(of block: Int) -> Int { referenceCounts[block] }
    /// The content `block` is cached as, if any.
    public func hash(of block: Int) -> BlockHash? { hashes[block] }
    /// The block cached as `hash`, if any.
    public func cachedBlock(_ hash: BlockHash) -> Int? { cachedBlocks[hash] }

    /// Blocks that hold `numTokens` positions: ceil(numTokens / blockSize).
    public func blocksNeeded(numTokens: Int) -> Int {
        (max(0, numTokens) + blockSize - 1) / blockSize
    }

    /// The cached blocks of the longest prefix of `hashes` (a sequence's full blocks, in order).
    public func cachedPrefix(of hashes: some Sequence<BlockHash>) -> [Int] {
        guard isCaching else { return [] }
        var blocks: [Int] = []
        for hash in hashes {
            guard let block = cachedBlocks[hash] else { break }
            blocks.append(block)
        }
        return blocks
    }

    /// Whether `allocate(numTokens:reusing:)` would succeed.
    public func canAllocate(numTokens: Int, reusing cached: [Int] = []) -> Bool {
        numFreshBlocks(numTokens: numTokens, reusing: cached) <= freeQueue.count - cached.count { referenceCounts[$0] == 0 }
    }

    /// A block table covering `numTokens` positions that starts with the `cached` blocks (from `cachedPrefix`,
    /// each now listed once more) and continues with fresh ones; nil (and nothing taken) if the pool is short.
    public mutating func allocate(numTokens: Int, reusing cached: [Int] = []) -> [Int]? {
        guard canAllocate(numTokens: numTokens, reusing: cached) else { return nil }
        for block in cached {
            if referenceCounts[block] == 0 { freeQueue.remove(block) }
            referenceCounts[block] += 1
        }
        var table = cached
        let fresh = numFreshBlocks(numTokens: numTokens, reusing: cached)
        table.reserveCapacity(cached.count + fresh)
        for _ in 0..<fresh { table.append(takeFreeBlock()) }
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

    /// Makes `block`, now full of final tokens (never drafts), findable as `hash`. Nothing changes when
    /// caching is off, the block is already cached, or another block holds `hash` (two sequences computed the
    /// same prefix at once; the first one's stays, the other is an ordinary block).
    public mutating func publish(_ block: Int, as hash: BlockHash) {
        guard isCaching, hashes[block] == nil, cachedBlocks[hash] == nil else { return }
        hashes[block] = hash
        cachedBlocks[hash] = block
    }

    /// Drops `blockTable`'s reference to each of its blocks and empties it; a block no other table lists
    /// becomes free. Ids out of range or already free are ignored (never freed twice).
    public mutating func free(_ blockTable: inout [Int]) {
        // Reversed: uncached blocks come back in table order, and a sequence's cached tail is evicted before
        // its head (the head is the part other prompts share).
        for block in blockTable.reversed() where block >= 0 && block < numBlocks && referenceCounts[block] > 0 {
            referenceCounts[block] -= 1
            guard referenceCounts[block] == 0 else { continue }
            if hashes[block] == nil { freeQueue.pushFront(block) } else { freeQueue.pushBack(block) }
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

    /// Blocks past `cached` a table of `numTokens` positions needs.
    private func numFreshBlocks(numTokens: Int, reusing cached: [Int]) -> Int {
        max(0, blocksNeeded(numTokens: numTokens) - cached.count)
    }

    /// The front of the free queue, evicted from the cache if it was cached, listed once.
    private mutating func takeFreeBlock() -> Int {
        let block = freeQueue.popFront()!
        if let hash = hashes[block] {
            cachedBlocks[hash] = nil
            hashes[block] = nil
            numEvictions += 1
        }
        referenceCounts[block] = 1
        return block
    }
}
