/// Waiting sequences, grouped by prompt length into buckets, each bucket in arrival order; plus a front
/// queue of preempted sequences that are readmitted before anything else.
struct WaitingQueue: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        var id: SequenceID
        var arrivalTime: Double
        var addOrder: Int
        var bucket: Int

        /// Strict "arrived before": arrival time, then add order.
        func isOlder(than other: Entry) -> Bool {
            (arrivalTime, addOrder) < (other.arrivalTime, other.addOrder)
        }
    }

    /// Preempted sequences; `first` is readmitted first.
    private(set) var preempted: [Entry] = []
    /// `buckets[b]` sorted oldest first.
    private(set) var buckets: [[Entry]]

    init(numBuckets: Int) {
        buckets = Array(repeating: [], count: numBuckets)
    }

    var count: Int { preempted.count + buckets.reduce(0) { $0 + $1.count } }
    var isEmpty: Bool { count == 0 }

    /// Every waiting id, in the order they would be considered ignoring buckets: preempted, then by arrival.
    var ids: [SequenceID] {
        preempted.map(\.id) + buckets.joined().sorted { $0.isOlder(than: $1) }.map(\.id)
    }

    /// Waiting entries per bucket, preempted ones included.
    var histogram: [Int] {
        var counts = buckets.map(\.count)
        for entry in preempted { counts[entry.bucket] += 1 }
        return counts
    }

    /// Adds a new request in arrival order within its bucket.
    mutating func enqueue(_ entry: Entry) {
        let index = buckets[entry.bucket].firstIndex { entry.isOlder(than: $0) } ?? buckets[entry.bucket].count
        buckets[entry.bucket].insert(entry, at: index)
    }

    /// Requeues a preempted sequence at the very front.
    mutating func pushFront(_ entry: Entry) {
        preempted.insert(entry, at: 0)
    }

    /// Removes `id` wherever it waits; false if it is not waiting.
    @discardableResult
    mutating func remove(_ id: SequenceID) -> Bool {
        if let index = preempted.firstIndex(where: { $0.id == id }) {
            preempted.remove(at: index)
            return true
        }
        for b in buckets.indices {
            if let index = buckets[b].firstIndex(where: { $0.id == id }) {
                buckets[b].remove(at: index)
                return true
            }
        }
        return false
    }

    /// The oldest waiting entry outside the preempted queue (the oldest bucket head).
    var oldest: Entry? {
        buckets.compactMap(\.first).min { $0.isOlder(than: $1) }
    }

    /// The next sequence to admit under the admission policy:
    /// 1. preempted sequences, most recently requeued first;
    /// 2. any request waiting longer than `maxWaitSeconds`, oldest first, regardless of bucket (aging);
    /// 3. FIFO from one bucket per step: the bucket of the oldest waiting request, chosen on first use and
    ///    kept in `chosenBucket` for the rest of the step. When that bucket runs dry the step admits no more.
    func next(now: Double, maxWaitSeconds: Double, chosenBucket: inout Int?) -> Entry? {
        if let entry = preempted.first { return entry }
        guard let oldest else { return nil }
        if now - oldest.arrivalTime > maxWaitSeconds { return oldest }
        let bucket = chosenBucket ?? oldest.bucket
        chosenBucket = bucket
        return buckets[bucket].first
    }
}
