import CKernels
import Dispatch

/// bf16 weights [out, in] repacked for `Kernels.matmulPackedBF16`: panels of 16 output features, and within
/// a panel, for each input index k, eight u32 lanes where lane j holds w[16p + j, k] in its low half and
/// w[16p + 8 + j, k] in its high half. One 32-byte load is then 16 weights of 16 outputs at one k, and a shift
/// (low halves) or a mask (high halves) widens each half to eight f32 lanes. The last panel is zero-padded.
public struct PackedBF16Panels: Sendable {
    static let width = 16
    let panels: [UInt32]   // [numPanels][columns][8]
    let rows: Int
    let columns: Int

    var numPanels: Int { (rows + Self.width - 1) / Self.width }

    init(bits: UnsafeBufferPointer<UInt16>, rows: Int, columns: Int) {
        precondition(bits.count == rows * columns, "bf16 matrix of \(bits.count) values is not [\(rows), \(columns)]")
        self.rows = rows
        self.columns = columns
        let numPanels = (rows + Self.width - 1) / Self.width
        panels = [UInt32](unsafeUninitializedCapacity: numPanels * columns * 8) { buffer, initialized in
            for p in 0..<numPanels {
                for k in 0..<columns {
                    for j in 0..<8 {
                        let low = 16 * p + j, high = low + 8
                        let lowBits = low < rows ? UInt32(bits[low * columns + k]) : 0
                        let highBits = high < rows ? UInt32(bits[high * columns + k]) : 0
                        buffer[(p * columns + k) * 8 + j] = lowBits | highBits << 16
                    }
                }
            }
            initialized = numPanels * columns * 8
        }
    }

    /// Row `index` of the original matrix, widened to f32.
    func copyRow(_ index: Int, to destination: UnsafeMutablePointer<Float>) {
        let p = index / Self.width, j = index % 8, shift = index % Self.width < 8 ? 16 : 0
        panels.withUnsafeBufferPointer { panels in
            let base = panels.baseAddress! + p * columns * 8 + j
            for k in 0..<columns { destination[k] = Float(bitPattern: (base[8 * k] << shift) & 0xFFFF_0000) }
        }
    }
}

extension Kernels {
    /// Input steps per block when several row tiles share a panel (64 steps = 2 KiB of panel).
    private static let panelBlock = 64
    /// How far ahead of the weights being multiplied the row-tile path prefetches, in bytes (4 KiB measured at
    /// least as good as 1–36 KiB on a 2-core Zen VM; the noise there hides finer differences).
    private static let prefetchDistance = 4096

    /// y[n, out] = x[n, in] · wᵀ for w packed as `PackedBF16Panels`. Each call of the tile multiplies up to
    /// six x rows by one 16-output panel, so every weight loaded feeds six rows and every x element
    /// broadcast feeds 16 outputs: 12 FMAs per 32-byte weight load, 16 of 16 registers in use.
    /// The panels are split between `Kernels.numThreads` threads.
    ///
    /// The weights come from DRAM on every call (a model's are far larger than the caches), and once the FMAs
    /// take as long as the loads the out-of-order window no longer reaches far enough ahead to keep DRAM busy.
    /// So both paths prefetch in software. And with several row tiles per panel the tiles take turns over blocks
    /// of `panelBlock` input steps: the first tile reads a block from DRAM, the others from L1, so the DRAM stream
    /// runs through the whole panel's compute instead of only through the first tile's pass.
    static func matmulPackedBF16(_ x: UnsafePointer<Float>, _ w: PackedBF16Panels, _ y: UnsafeMutablePointer<Float>, n: Int) {
        let numPanels = w.numPanels, columns = w.columns, rows = w.rows
        let numThreads = numPanels >= 8 ? Kernels.numThreads : 1
        w.panels.withUnsafeBytes { panels in
            // The threads share these pointers (valid for the whole call) and write disjoint columns of y.
            nonisolated(unsafe) let x = x, y = y, w = panels.baseAddress!
            DispatchQueue.concurrentPerform(iterations: numThreads) { thread in
                let first = numPanels * thread / numThreads, last = numPanels * (thread + 1) / numThreads
                // One or two rows: two panels at a time, so a one-row decode still has four FMA chains in flight.
                if n <= 2 {
                    for p in stride(from: first, to: last, by: 2) {
                        let panels = (w + p * columns * 32, p + 1 < last ? w + (p + 1) * columns * 32 : nil)
                        let outputs = (min(PackedBF16Panels.width, rows - PackedBF16Panels.width * p),
                                       min(PackedBF16Panels.width, rows - PackedBF16Panels.width * (p + 1)))
                        let yt = y + PackedBF16Panels.width * p
                        if n == 2 {
                            panelPairTile(TwoRows.self, x, panels, yt, columns: columns, ldy: rows, outputs: outputs)
                        } else {
                            panelPairTile(OneRow.self, x, panels, yt, columns: columns, ldy: rows, outputs: outputs)
                        }
                    }
                    return
                }
                withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: n) { sums in
                    for p in first..<last {
                        let panel = w + p * columns * 32
                        sums.initialize(repeating: SIMD16())
                        for k in stride(from: 0, to: columns, by: panelBlock) {
                            panelBlockTiles(x + k, panel + 32 * k, sums.baseAddress!, n: n, count: min(panelBlock, columns - k), ldx: columns)
                        }
                        let outputs = min(PackedBF16Panels.width, rows - PackedBF16Panels.width * p)
                        for r in 0..<n { storePanelRow(sums[r], y + r * rows + PackedBF16Panels.width * p, outputs) }
                    }
                }
            }
        }
    }

    /// All n rows over `count` input steps of one panel, in tiles of three to six rows, as even as possible
    /// (nine rows run as 5 + 4, not 6 + 3). The first tile prefetches; the others find the block in L1.
    private static func panelBlockTiles(_ x: UnsafePointer<Float>, _ panel: UnsafeRawPointer, _ sums: UnsafeMutablePointer<SIMD16<Float>>,
                                        n: Int, count: Int, ldx: Int) {
        let numTiles = (n + 5) / 6
        var t = 0
        for tile in 0..<numTiles {
            let tileRows = n / numTiles + (tile < n % numTiles ? 1 : 0)
            let xt = x + t * ldx, st = sums + t, prefetch = tile == 0
            switch tileRows {
            case 6: panelTile(SixRows.self, xt, panel, st, count: count, ldx: ldx, prefetch: prefetch)
            case 5: panelTile(FiveRows.self, xt, panel, st, count: count, ldx: ldx, prefetch: prefetch)
            case 4: panelTile(FourRows.self, xt, panel, st, count: count, ldx: ldx, prefetch: prefetch)
            default: panelTile(ThreeRows.self, xt, panel, st, count: count, ldx: ldx, prefetch: prefetch)
            }
            t += tileRows
        }
    }

    /// sums[r] += Σ_k x[r, k] · panel[k] over k < count, for r < R.count (3...6). One specialization per R, so
    /// the `rowCount >` tests fold away. Every output is one FMA chain over k in order — carried through `sums`
    /// from block to block, and in the same order in every tile shape (`panelPairTile` too) — so a row's result
    /// does not depend on how many rows share the call: a verify chunk's rows equal one-token decodes bit for
    /// bit, and batching never changes a sequence's output.
    private static func panelTile<R: TileRowCount>(_: R.Type, _ x: UnsafePointer<Float>, _ panel: UnsafeRawPointer,
                                                   _ sums: UnsafeMutablePointer<SIMD16<Float>>, count: Int, ldx: Int, prefetch: Bool) {
        let rowCount = R.count
        // One base pointer per row (rows past R.count alias row 0 and are never read), indexed by k alone: the loop
        // then needs no per-k index arithmetic (with overflow checks) beside its FMAs.
        let x0 = x, x1 = rowCount > 1 ? x + ldx : x, x2 = rowCount > 2 ? x + 2 * ldx : x
        let x3 = rowCount > 3 ? x + 3 * ldx : x, x4 = rowCount > 4 ? x + 4 * ldx : x, x5 = rowCount > 5 ? x + 5 * ldx : x
        var a0 = sums[0], a1 = sums[1], a2 = sums[2]
        var a3 = rowCount > 3 ? sums[3] : SIMD16(), a4 = rowCount > 4 ? sums[4] : SIMD16(), a5 = rowCount > 5 ? sums[5] : SIMD16()
        let ahead = panel + prefetchDistance
        var k = 0
        while k < count {
            // A step reads half a cache line; prefetching at every step (each line twice) is cheaper than testing k.
            if prefetch { prefetchForRead(ahead + 32 &* k) }
            let w = panelWeights(panel, k)
            a0.addProduct(SIMD16(repeating: x0[k]), w); a1.addProduct(SIMD16(repeating: x1[k]), w)
            a2.addProduct(SIMD16(repeating: x2[k]), w)
            if rowCount > 3 { a3.addProduct(SIMD16(repeating: x3[k]), w) }
            if rowCount > 4 { a4.addProduct(SIMD16(repeating: x4[k]), w) }
            if rowCount > 5 { a5.addProduct(SIMD16(repeating: x5[k]), w) }
            k &+= 1
        }
        sums[0] = a0; sums[1] = a1; sums[2] = a2
        if rowCount > 3 { sums[3] = a3 }
        if rowCount > 4 { sums[4] = a4 }
        if rowCount > 5 { sums[5] = a5 }
    }

    /// One or two rows against two panels at once (the second may be absent): each output is still one FMA chain
    /// over k in order, and the second panel doubles the independent chains that hide FMA latency. Meanwhile it
    /// prefetches the next pair, step k of both panels at step k here (a fixed distance ahead in each panel would
    /// skip the start of the next pair's second panel; measured slower).
    private static func panelPairTile<R: TileRowCount>(
        _: R.Type, _ x: UnsafePointer<Float>, _ panels: (UnsafeRawPointer, UnsafeRawPointer?), _ y: UnsafeMutablePointer<Float>,
        columns: Int, ldy: Int, outputs: (Int, Int)
    ) {
        let rowCount = R.count
        let x0 = x, x1 = rowCount > 1 ? x + columns : x, x2 = rowCount > 2 ? x + 2 * columns : x
        let first = panels.0, second = panels.1 ?? panels.0
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>()
        var b0 = SIMD16<Float>(), b1 = SIMD16<Float>(), b2 = SIMD16<Float>()
        let nextPair = (first + 2 * 32 * columns, second + 2 * 32 * columns)
        var k = 0
        while k < columns {
            prefetchForRead(nextPair.0 + 32 &* k); prefetchForRead(nextPair.1 + 32 &* k)
            let w = panelWeights(first, k), v = panelWeights(second, k)
            let s0 = SIMD16(repeating: x0[k])
            a0.addProduct(s0, w); b0.addProduct(s0, v)
            if rowCount > 1 { let s1 = SIMD16(repeating: x1[k]); a1.addProduct(s1, w); b1.addProduct(s1, v) }
            if rowCount > 2 { let s2 = SIMD16(repeating: x2[k]); a2.addProduct(s2, w); b2.addProduct(s2, v) }
            k &+= 1
        }
        storePanelRow(a0, y, outputs.0)
        if rowCount > 1 { storePanelRow(a1, y + ldy, outputs.0) }
        if rowCount > 2 { storePanelRow(a2, y + 2 * ldy, outputs.0) }
        guard panels.1 != nil else { return }
        let z = y + PackedBF16Panels.width
        storePanelRow(b0, z, outputs.1)
        if rowCount > 1 { storePanelRow(b1, z + ldy, outputs.1) }
        if rowCount > 2 { storePanelRow(b2, z + 2 * ldy, outputs.1) }
    }

    /// The 16 weights of a panel at input k, widened to f32.
    @inline(__always)
    private static func panelWeights(_ panel: UnsafeRawPointer, _ k: Int) -> SIMD16<Float> {
        let bits = panel.loadUnaligned(fromByteOffset: 32 * k, as: SIMD8<UInt32>.self)
        return SIMD16(lowHalf: unsafeBitCast(bits &<< 16, to: SIMD8<Float>.self),
                      highHalf: unsafeBitCast(bits & 0xFFFF_0000, to: SIMD8<Float>.self))
    }

    @inline(__always)
    private static func storePanelRow(_ a: SIMD16<Float>, _ row: UnsafeMutablePointer<Float>, _ outputs: Int) {
        if outputs == PackedBF16Panels.width {
            UnsafeMutableRawPointer(row).storeBytes(of: a, as: SIMD16<Float>.self)
        } else {
            for j in 0..<outputs { row[j] = a[j] }
        }
    }
}
