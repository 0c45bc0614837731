import Scheduler
import Dispatch

/// One layer's attention over a ragged batch, cut into independent work items that both cores take from a
/// shared counter: one item per (sequence, kv head, block of `rowsPerItem` query tokens), read straight from the
/// cache blocks by the direct kernels (`attentionDirect`). Every row is computed exactly as a one-token decode at
/// its position would be, so a verify chunk's rows equal the decodes they stand for and speculation leaves greedy
/// output unchanged; and with the group's query heads sharing each K/V load, the direct kernels also beat
/// gathering K/V and calling BLAS for prefill chunks (measured on a 1024-token prompt). Only a head dimension they
/// cannot take (not a multiple of 8) falls back to that: each kv head's context gathered once, then one item per
/// (query head, row block) through two GEMMs. Items run costliest first so the cores finish together.
/// The items depend only on the batch's shape: built once per forward, run in every layer.
struct BatchAttentionPlan {
    private struct Chunk {
        let firstRow: Int          // the chunk's first row in the batch
        let numTokens: Int
        let numCachedTokens: Int
        let blockTable: [Int]
        let gatherOffset: Int      // long chunks: where its gathered K (and V) start, per kv head [headDim · context]
        var contextLength: Int { numCachedTokens + numTokens }
    }

    private enum Item {
        case direct(chunk: Int, kvHead: Int, rows: Range<Int>)
        case rows(chunk: Int, head: Int, rows: Range<Int>)
    }

    static let rowsPerItem = 16

    private let chunks: [Chunk]
    private let items: [Item]
    private let gathers: [(chunk: Int, kvHead: Int)]
    private let numHeads: Int, numKVHeads: Int, headDim: Int
    /// Floats of gathered keys (and as many of values) the plan needs.
    let gatherCount: Int
    /// Floats of scores one worker needs.
    let scoresPerWorker: Int

    init(batch: ForwardBatch, numHeads: Int, numKVHeads: Int, headDim: Int) {
        self.numHeads = numHeads
        self.numKVHeads = numKVHeads
        self.headDim = headDim
        let groupSize = numHeads / numKVHeads
        var chunks: [Chunk] = [], costed: [(cost: Int, item: Item)] = [], gathers: [(chunk: Int, kvHead: Int)] = []
        var firstRow = 0, gatherCount = 0, scoresPerWorker = 0
        for (index, sequence) in batch.sequences.enumerated() {
            let n = sequence.tokens.count, cached = sequence.numCachedTokens
            let isDirect = headDim % 8 == 0
            chunks.append(Chunk(firstRow: firstRow, numTokens: n, numCachedTokens: cached,
                                blockTable: sequence.blockTable, gatherOffset: gatherCount))
            if isDirect {
                for start in stride(from: 0, to: n, by: Self.rowsPerItem) {
                    let rows = start..<min(n, start + Self.rowsPerItem), cost = groupSize * rows.count * (cached + rows.upperBound)
                    for kvHead in 0..<numKVHeads { costed.append((cost, .direct(chunk: index, kvHead: kvHead, rows: rows))) }
                    scoresPerWorker = max(scoresPerWorker, cost)
                }
            } else {
                gatherCount += numKVHeads * (cached + n) * headDim
                for kvHead in 0..<numKVHeads { gathers.append((index, kvHead)) }
                for start in stride(from: 0, to: n, by: Self.rowsPerItem) {
                    let rows = start..<min(n, start + Self.rowsPerItem)
                    for head in 0..<numHeads { costed.append((rows.count * (cached + rows.upperBound), .rows(chunk: index, head: head, rows: rows))) }
                    scoresPerWorker = max(scoresPerWorker, rows.count * (cached + rows.upperBound))
                }
            }
            firstRow += n
        }
        self.chunks = chunks
        self.items = costed.sorted { $0.cost > $1.cost }.map(\.item)
        self.gathers = gathers
        self.gatherCount = gatherCount
        self.scoresPerWorker = scoresPerWorker
    }

    /// out[row, head] = attention of q[row, head] over its sequence's cached context, for every row of the batch.
    /// q rows are [numHeads · headDim] at `qStride` (keys and values of these rows are already in the cache);
    /// out rows [numHeads · headDim] packed. Scratch: `gatherCount` floats each for keys and values,
    /// `scoresPerWorker · Kernels.numThreads` for scores.
    func run(layer: PagedLayerView, q: UnsafePointer<Float>, qStride: Int, out: UnsafeMutablePointer<Float>,
             gatheredKeys: UnsafeMutablePointer<Float>, gatheredValues: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
             path: KernelPath = .selected) {
        let hd = headDim, qDim = numHeads * hd, groupSize = numHeads / numKVHeads
        // The workers share these pointers (valid for the whole call) but write disjoint rows, gathers and scores.
        nonisolated(unsafe) let layer = layer, q = q, out = out, gatheredKeys = gatheredKeys, gatheredValues = gatheredValues, scores = scores
        @Sendable func gathered(_ chunk: Chunk, _ kvHead: Int) -> (keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>) {
            let offset = chunk.gatherOffset + kvHead * chunk.contextLength * hd
            return (gatheredKeys + offset, gatheredValues + offset)
        }
        KernelThreads.shared.forEach(gathers.count) { g, _ in
            let (chunkIndex, kvHead) = gathers[g], chunk = chunks[chunkIndex]
            let (keys, values) = gathered(chunk, kvHead)
            Kernels.gatherKV(layer: layer, kvHead: kvHead, blockTable: chunk.blockTable, count: chunk.contextLength, keysT: keys, values: values,
                             path: path)
        }
        KernelThreads.shared.forEach(items.count, claiming: .inOrder) { index, worker in
            let scores = scores + worker * scoresPerWorker
            do {
                switch items[index] {
                case .direct(let chunkIndex, let kvHead, let rows):
                    let chunk = chunks[chunkIndex], firstRow = chunk.firstRow + rows.lowerBound
                    Kernels.attentionDirect(
                        q: q + firstRow * qStride, qStride: qStride, out: out + firstRow * qDim, outStride: qDim,
                        n: rows.count, numCachedTokens: chunk.numCachedTokens + rows.lowerBound, blockTable: chunk.blockTable,
                        layer: layer, kvHead: kvHead, groupSize: groupSize, scores: scores, path: path)
                case .rows(let chunkIndex, let head, let rows):
                    let chunk = chunks[chunkIndex]
                    let (keys, values) = gathered(chunk, head / groupSize)
                    Kernels.attentionRows(
                        q: q + chunk.firstRow * qStride + head * hd, qStride: qStride,
                        out: out + chunk.firstRow * qDim + head * hd, outStride: qDim, rows: rows,
                        numCachedTokens: chunk.numCachedTokens, headDim: hd, keysT: keys, keyStride: chunk.contextLength,
                        values: values, scores: scores, path: path)
                }
            }
        }
    }
}
