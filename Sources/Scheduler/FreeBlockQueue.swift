/// The blocks no sequence lists, in eviction order: allocation takes the front. A doubly linked list threaded
/// through two arrays indexed by block id (vLLM's `FreeKVCacheBlockQueue`), so that a cached block a new
/// sequence reuses leaves the middle of the queue in O(1), and nothing is allocated after `init`.
struct FreeBlockQueue: Sendable {
    /// Index `numBlocks` is the sentinel: its `next` is the front, its `previous` the back.
    private var next: [Int]
    private var previous: [Int]
    private var isQueued: [Bool]
    private(set) var count: Int

    /// All of `0..<numBlocks`, in order.
    init(numBlocks: Int) {
        let sentinel = numBlocks
        next = (0...numBlocks).map { $0 == sentinel ? (numBlocks > 0 ? 0 : sentinel) : $0 + 1 }
        previous = (0...numBlocks).map { $0 == 0 ? sentinel : $0 - 1 }
        if numBlocks > 0 { previous[sentinel] = numBlocks - 1 }
        isQueued = Array(repeating: true, count: numBlocks)
        count = numBlocks
    }

    private var sentinel: Int { isQueued.count }

    func contains(_ block: Int) -> Bool { isQueued[block] }

    var front: Int? { count == 0 ? nil : next[sentinel] }

    /// Removes and returns the front block.
    mutating func popFront() -> Int? {
        guard let block = front else { return nil }
        remove(block)
        return block
    }

    /// Evicted first: a block holding nothing worth keeping.
    mutating func pushFront(_ block: Int) { insert(block, after: sentinel) }

    /// Evicted last: a cached block just released.
    mutating func pushBack(_ block: Int) { insert(block, after: previous[sentinel]) }

    /// Takes `block` out wherever it is. It must be queued.
    mutating func remove(_ block: Int) {
        precondition(isQueued[block], "block \(block) is not free")
        next[previous[block]] = next[block]
        previous[next[block]] = previous[block]
        isQueued[block] = false
        count -= 1
    }

    /// Front to back (for invariant checks and tests).
    var blocks: [Int] {
        var result: [Int] = []
        var block = next[sentinel]
        while block != sentinel {
            result.append(block)
            block = next[block]
        }
        return result
    }

    private mutating func insert(_ block: Int, after anchor: Int) {
        precondition(!isQueued[block], "block \(block) is already free")
        let following = next[anchor]
        next[anchor] = block
        previous[block] = anchor
        next[block] = following
        previous[following] = block
        isQueued[block] = true
        count += 1
    }
}
