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
    /// y[n, out] = x[n, in] · wᵀ for w packed as `PackedBF16Panels`, on `path`'s kernel. The panels are split
    /// into items the kernel threads take (`KernelThreads`); each item runs in one call of the path's C kernel
    /// (CBF16Gemm.h) or of `referencePanels`.
    ///
    /// Tiles: each call multiplies a tile of rows (three to six on AVX2, up to sixteen on AVX-512) by one
    /// 16-output panel, so every weight loaded feeds every row of the tile and every x element broadcast feeds
    /// 16 outputs. One or two rows (a decode) work on two panels at once instead, so that more independent
    /// FMA chains are in flight.
    ///
    /// The weights come from DRAM on every call (a model's are far larger than the caches), and once the FMAs
    /// take as long as the loads the out-of-order window no longer reaches far enough ahead to keep DRAM busy.
    /// So the kernels prefetch in software (4 KiB ahead; measured at least as good as 1–36 KiB). And with several
    /// row tiles per panel the tiles take turns over blocks of 64 input steps: the first tile reads a block from
    /// DRAM and prefetches, the others read it from L1, so the DRAM stream runs through the whole panel's compute
    /// instead of only through the first tile's pass.
    ///
    /// Every output is one chain over k in order — carried through the per-row sums from block to block, the same
    /// in every tile shape — so a row's result does not depend on how many rows share the call: a verify chunk's
    /// rows equal one-token decodes bit for bit, and batching never changes a sequence's output. The AVX2 and
    /// AVX-512 kernels run the same FMA chain per lane and agree bit for bit; `reference` (multiply, then add) and
    /// `avx512-bf16` (activations rounded to bf16) are each row-count invariant on their own terms.
    static func matmulPackedBF16(_ x: UnsafePointer<Float>, _ w: PackedBF16Panels, _ y: UnsafeMutablePointer<Float>, n: Int,
                                 path: KernelPath = .selected) {
        let numPanels = w.numPanels, columns = w.columns, rows = w.rows
        let panelsPerItem = bf16PanelsPerItem(numPanels), numItems = (numPanels + panelsPerItem - 1) / panelsPerItem
        w.panels.withUnsafeBufferPointer { panels in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: path == .avx512BF16 ? n * ((columns + 1) / 2) : 0) { xPairs in
                if path == .avx512BF16 { ck_bf16_round_pairs_avx512bf16(x, n, columns, xPairs.baseAddress!) }
                // The threads share these pointers (valid for the whole call) and write disjoint columns of y.
                nonisolated(unsafe) let x = x, y = y, w = panels.baseAddress!, xPairs = xPairs.baseAddress
                KernelThreads.shared.forEach(numItems) { item, _ in
                    let first = item * panelsPerItem, last = min(numPanels, first + panelsPerItem)
                    // 32 per row: the AVX-512 kernel's tiles cover two panels.
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: 32 * n) { sums in
                        let sums = sums.baseAddress!
                        switch path.bf16Kernel {
                        case .reference: referencePanels(x, w, y, n: n, columns: columns, rows: rows, panels: first..<last)
                        case .avx2: ck_bf16_gemm_avx2(x, n, w, columns, rows, first, last, y, sums)
                        case .avx512: ck_bf16_gemm_avx512(x, n, w, columns, rows, first, last, y, sums)
                        case .avx512BF16: ck_bf16_gemm_avx512bf16(xPairs!, n, w, columns, rows, first, last, y, sums)
                        }
                    }
                }
            }
        }
    }

    /// y[16p ..< 16p + 16] = x · (panel p)ᵀ for one row x and the panels in `range`, on this thread, with `path`'s
    /// kernel: the same chains as `matmulPackedBF16` (and the 12-bit copy), so the same bits as a full product.
    /// `y` is a whole output row ([rows]). GreedyHead's exact pass.
    static func packedBF16Panels(_ x: UnsafePointer<Float>, _ w: UnsafePointer<UInt32>, _ y: UnsafeMutablePointer<Float>,
                                 rows: Int, columns: Int, panels range: Range<Int>, path: KernelPath) {
        switch path.bf16Kernel {
        case .reference: referencePanels(x, w, y, n: 1, columns: columns, rows: rows, panels: range)
        case .avx2: ck_bf16_gemm_avx2(x, 1, w, columns, rows, range.lowerBound, range.upperBound, y, nil)
        case .avx512: ck_bf16_gemm_avx512(x, 1, w, columns, rows, range.lowerBound, range.upperBound, y, nil)
        case .avx512BF16: preconditionFailure("avx512-bf16 rounds x first: not the chains of the others")
        }
    }

    /// How many 16-output panels a kernel thread takes at a time: two (one- and two-row tiles take panels in pairs),
    /// so that the threads finish a product together; fewer than eight panels are not worth a second thread. Small
    /// items cost no locality: a thread works through its own share of them in order (`KernelThreads`). Measured
    /// against ~eight items a thread (`bench model-matmul`): as fast or slightly faster at 1, 16 and 64 rows.
    static func bf16PanelsPerItem(_ numPanels: Int) -> Int {
        numPanels >= 8 ? 2 : numPanels
    }

    /// The reference path: for each panel and row, 16 sums over k in order, one chain per output as in the C
    /// kernels but multiply-then-add (no FMA: without FMA hardware, Swift's `addProduct` is a libm call per lane).
    /// SIMD16 holds the 16 independent outputs only to let the compiler use whatever vectors the CPU has.
    static func referencePanels(_ x: UnsafePointer<Float>, _ w: UnsafePointer<UInt32>, _ y: UnsafeMutablePointer<Float>,
                                n: Int, columns: Int, rows: Int, panels: Range<Int>) {
        for p in panels {
            let panel = UnsafeRawPointer(w + p * columns * 8)
            let outputs = min(PackedBF16Panels.width, rows - PackedBF16Panels.width * p)
            for r in 0..<n {
                let row = x + r * columns
                var sums = SIMD16<Float>()
                for k in 0..<columns { sums += SIMD16(repeating: row[k]) * panelWeights(panel, k) }
                let destination = y + r * rows + PackedBF16Panels.width * p
                for j in 0..<outputs { destination[j] = sums[j] }
            }
        }
    }

    /// The 16 weights of a panel at input k, widened to f32.
    @inline(__always)
    private static func panelWeights(_ panel: UnsafeRawPointer, _ k: Int) -> SIMD16<Float> {
        let bits = panel.loadUnaligned(fromByteOffset: 32 * k, as: SIMD8<UInt32>.self)
        return SIMD16(lowHalf: unsafeBitCast(bits &<< 16, to: SIMD8<Float>.self),
                      highHalf: unsafeBitCast(bits & 0xFFFF_0000, to: SIMD8<Float>.self))
    }
}
