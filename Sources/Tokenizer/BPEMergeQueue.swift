/// BPE merging in O(n log n) for long pieces (a 100 kB run of letters must not take quadratic time),
/// following Hugging Face's `Word::merge_all`: a min-heap of candidate pairs ordered by (rank, position)
/// over a doubly linked list of symbols; stale candidates are skipped when popped.
enum BPEMergeQueue {
    private struct Candidate: Comparable {
        var rank: Int32
        var position: Int
        var id: Int32

        static func < (a: Candidate, b: Candidate) -> Bool {
            a.rank != b.rank ? a.rank < b.rank : a.position < b.position
        }
    }

    static func mergeAll(_ initial: [Int32], merges: [UInt64: BPE.Merge]) -> [Int32] {
        var ids = initial
        var alive = [Bool](repeating: true, count: ids.count)
        var previous = Array(-1..<(ids.count - 1))
        var next = Array(1...ids.count)
        next[ids.count - 1] = -1

        var heap = MinHeap<Candidate>()
        for position in 0..<(ids.count - 1) {
            if let merge = merges[BPE.pairKey(ids[position], ids[position + 1])] {
                heap.push(Candidate(rank: merge.rank, position: position, id: merge.id))
            }
        }
        while let top = heap.pop() {
            let position = top.position
            guard alive[position], next[position] >= 0 else { continue }
            let right = next[position]
            // The pair at `position` may have changed since this candidate was queued.
            guard let merge = merges[BPE.pairKey(ids[position], ids[right])], merge.id == top.id else { continue }
            ids[position] = merge.id
            alive[right] = false
            next[position] = next[right]
            if next[right] >= 0 { previous[next[right]] = position }

            let left = previous[position]
            if left >= 0, let merge = merges[BPE.pairKey(ids[left], ids[position])] {
                heap.push(Candidate(rank: merge.rank, position: left, id: merge.id))
            }
            let after = next[position]
            if after >= 0, let merge = merges[BPE.pairKey(ids[position], ids[after])] {
                heap.push(Candidate(rank: merge.rank, position: position, id: merge.id))
            }
        }
        return ids.indices.compactMap { alive[$0] ? ids[$0] : nil }
    }
}

/// A plain binary min-heap.
struct MinHeap<Element: Comparable> {
    private var items: [Element] = []

    mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        guard !items.isEmpty else { return first }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count, items[left] < items[smallest] { smallest = left }
            if right < items.count, items[right] < items[smallest] { smallest = right }
            guard smallest != parent else { return first }
            items.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
