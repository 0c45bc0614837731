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
    /// y[n, out] = x[n, in] · wᵀ for w packed as `PackedBF16Panels`. Each call of the tile multiplies up to
    /// six x rows by one 16-output panel, so every weight loaded feeds six rows and every x element
    /// broadcast feeds 16 outputs: 12 FMAs per 32-byte weight load, 16 of 16 registers in use.
    /// The panels are split between `Kernels.numThreads` threads; a panel (≤ 48 KiB) stays in cache while all row tiles pass over it.
    static func matmulPackedBF16(_ x: UnsafePointer<Float>, _ w: PackedBF16Panels, _ y: UnsafeMutablePointer<Float>, n: Int) {
        let numPanels = w.numPanels, columns = w.columns, rows = w.rows
        let numThreads = numPanels >= 8 ? Kernels.numThreads : 1
        w.panels.withUnsafeBytes { panels in
            // The threads share these pointers (valid for the whole call) and write disjoint columns of y.
            nonisolated(unsafe) let x = x, y = y, w = panels.baseAddress!
            DispatchQueue.concurrentPerform(iterations: numThreads) { thread in
                let first = numPanels * thread / numThreads, last = numPanels * (thread + 1) / numThreads
                for p in first..<last {
                    let panel = w + p * columns * 32
                    let outputs = min(PackedBF16Panels.width, rows - PackedBF16Panels.width * p)
                    var t = 0
                    while t < n {
                        let tileRows = min(6, n - t)
                        let xt = x + t * columns, yt = y + t * rows + PackedBF16Panels.width * p
                        switch tileRows {
                        case 6: panelTile(SixRows.self, xt, panel, yt, columns: columns, ldy: rows, outputs: outputs)
                        case 5: panelTile(FiveRows.self, xt, panel, yt, columns: columns, ldy: rows, outputs: outputs)
                        case 4: panelTile(FourRows.self, xt, panel, yt, columns: columns, ldy: rows, outputs: outputs)
                        case 3: panelTile(ThreeRows.self, xt, panel, yt, columns: columns, ldy: rows, outputs: outputs)
                        case 2: panelTile(TwoRows.self, xt, panel, yt, columns: columns, ldy: rows, outputs: outputs)
                        default: panelTile(OneRow.self, xt, panel, yt, columns: columns, ldy: rows, outputs: outputs)
                        }
                        t += tileRows
                    }
                }
            }
        }
    }

    /// y[r, 0..<outputs] = Σ_k x[r, k] · panel[k] for r < R.count (1...6). One specialization per R, so the
    /// `rowCount >` tests fold away. With three rows or fewer the spare accumulators take the odd k:
    /// otherwise too few independent FMA chains would be in flight to hide the FMA latency.
    private static func panelTile<R: TileRowCount>(_: R.Type, _ x: UnsafePointer<Float>, _ panel: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>,
                                  columns: Int, ldy: Int, outputs: Int) {
        let rowCount = R.count
        @inline(__always) func weights(_ k: Int) -> SIMD16<Float> {
            let bits = panel.loadUnaligned(fromByteOffset: 32 * k, as: SIMD8<UInt32>.self)
            return SIMD16(lowHalf: unsafeBitCast(bits &<< 16, to: SIMD8<Float>.self),
                          highHalf: unsafeBitCast(bits & 0xFFFF_0000, to: SIMD8<Float>.self))
        }
        // One base pointer per row (rows past R.count alias row 0 and are never read), indexed by k alone: the loop
        // then needs no per-k index arithmetic (with overflow checks) beside its FMAs.
        let x0 = x, x1 = rowCount > 1 ? x + columns : x, x2 = rowCount > 2 ? x + 2 * columns : x
        let x3 = rowCount > 3 ? x + 3 * columns : x, x4 = rowCount > 4 ? x + 4 * columns : x, x5 = rowCount > 5 ? x + 5 * columns : x
        @inline(__always) func xs(_ r: Int, _ k: Int) -> SIMD16<Float> {
            let row = r == 0 ? x0 : r == 1 ? x1 : r == 2 ? x2 : r == 3 ? x3 : r == 4 ? x4 : x5
            return SIMD16(repeating: row[k])
        }
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>()
        var a3 = SIMD16<Float>(), a4 = SIMD16<Float>(), a5 = SIMD16<Float>()
        var k = 0
        if rowCount <= 3 {
            while k + 1 < columns {
                let even = weights(k), odd = weights(k + 1)
                a0.addProduct(xs(0, k), even); a3.addProduct(xs(0, k + 1), odd)
                if rowCount > 1 { a1.addProduct(xs(1, k), even); a4.addProduct(xs(1, k + 1), odd) }
                if rowCount > 2 { a2.addProduct(xs(2, k), even); a5.addProduct(xs(2, k + 1), odd) }
                k &+= 2
            }
            if k < columns {
                let last = weights(k)
                a0.addProduct(xs(0, k), last)
                if rowCount > 1 { a1.addProduct(xs(1, k), last) }
                if rowCount > 2 { a2.addProduct(xs(2, k), last) }
            }
            a0 += a3; a1 += a4; a2 += a5
        } else {
            while k < columns {
                let w = weights(k)
                a0.addProduct(xs(0, k), w); a1.addProduct(xs(1, k), w); a2.addProduct(xs(2, k), w)
                a3.addProduct(xs(3, k), w)
                if rowCount > 4 { a4.addProduct(xs(4, k), w) }
                if rowCount > 5 { a5.addProduct(xs(5, k), w) }
                k &+= 1
            }
        }
        @inline(__always) func store(_ a: SIMD16<Float>, _ r: Int) {
            let row = y + r * ldy
            if outputs == PackedBF16Panels.width {
                UnsafeMutableRawPointer(row).storeBytes(of: a, as: SIMD16<Float>.self)
            } else {
                for j in 0..<outputs { row[j] = a[j] }
            }
        }
        store(a0, 0)
        if rowCount > 1 { store(a1, 1) }
        if rowCount > 2 { store(a2, 2) }
        if rowCount > 3 { store(a3, 3) }
        if rowCount > 4 { store(a4, 4) }
        if rowCount > 5 { store(a5, 5) }
    }
}
