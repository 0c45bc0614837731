/// Byte-level BPE: a vocabulary of byte-level spellings and merges applied by rank.
///
/// Works on raw bytes: a piece starts as one symbol per byte (the id of that byte's character)
/// and the lowest-ranked adjacent pair is merged, leftmost first, until no pair has a merge —
/// the same order as Hugging Face's priority queue.
struct BPE: Sendable {
    /// Token spelling -> id.
    let vocab: [String: Int]
    /// Id of each byte's single-character token, or -1 if the vocabulary lacks it.
    let byteIds: [Int32]
    /// `pairKey(left, right)` -> rank and merged id.
    let merges: [UInt64: Merge]

    struct Merge: Sendable {
        var rank: Int32
        var id: Int32
    }

    @inline(__always)
    static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// `merges` are pairs of token spellings in rank order; a merge naming a missing token is an error.
    init(vocab: [String: Int], merges: [[String]], file: String) throws {
        self.vocab = vocab
        byteIds = (0..<256).map { byte in
            Int32(vocab[String(Character(ByteLevel.byteToScalar[byte]))] ?? -1)
        }
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(merges.count)
        for (rank, pair) in merges.enumerated() {
            guard pair.count == 2 else {
                throw TokenizerError.invalidFile(file, reason: "model.merges[\(rank)] is not a pair: \(pair)")
            }
            guard let left = vocab[pair[0]], let right = vocab[pair[1]], let merged = vocab[pair[0] + pair[1]] else {
                throw TokenizerError.invalidFile(file, reason: "model.merges[\(rank)] \(pair) names a token missing from model.vocab")
            }
            let key = BPE.pairKey(Int32(left), Int32(right))
            if table[key] == nil { table[key] = Merge(rank: Int32(rank), id: Int32(merged)) }
        }
        self.merges = table
    }

    /// Appends the ids of one pre-tokenized piece. Bytes without a vocabulary entry are dropped
    /// (there is no unknown token in byte-level BPE).
    func encode(_ bytes: UnsafeBufferPointer<UInt8>, piece: Range<Int>, into ids: inout [Int]) {
        if piece.count == 1 {
            let id = byteIds[Int(bytes[piece.lowerBound])]
            if id >= 0 { ids.append(Int(id)) }
            return
        }
        var symbols: [Int32] = []
        symbols.reserveCapacity(piece.count)
        for index in piece {
            let id = byteIds[Int(bytes[index])]
            if id >= 0 { symbols.append(id) }
        }
        mergeAll(&symbols)
        for symbol in symbols { ids.append(Int(symbol)) }
    }

    /// Pieces longer than this use the O(n log n) queue instead of the O(n²) scan.
    static let queueThreshold = 48

    /// Repeatedly merges the lowest-ranked adjacent pair (leftmost on ties).
    func mergeAll(_ symbols: inout [Int32]) {
        if symbols.count > BPE.queueThreshold {
            symbols = BPEMergeQueue.mergeAll(symbols, merges: merges)
            return
        }
        mergeAllByScanning(&symbols)
    }

    /// O(n²), but the fastest choice for the short pieces pre-tokenization usually produces.
    func mergeAllByScanning(_ symbols: inout [Int32]) {
        while symbols.count > 1 {
            var bestRank = Int32.max
            var bestIndex = -1
            var bestId: Int32 = 0
            for index in 0..<(symbols.count - 1) {
                if let merge = merges[BPE.pairKey(symbols[index], symbols[index + 1])], merge.rank < bestRank {
                    bestRank = merge.rank
                    bestIndex = index
                    bestId = merge.id
                }
            }
            guard bestIndex >= 0 else { return }
            symbols[bestIndex] = bestId
            symbols.remove(at: bestIndex + 1)
        }
    }
}
