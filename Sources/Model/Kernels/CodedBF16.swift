import CKernels
import Foundation

/// bf16 weights in ~12.4 bits each, losslessly, for the products of one or two rows: those stream every weight
/// from memory for a few FMAs each, so their time is the bytes read (a one-row decode step of a bf16 model is
/// ~90% such products), and these are three quarters of `PackedBF16Panels`' bytes. A matrix keeps both copies
/// (`WeightMatrix`): with three or more rows the products are compute-bound, and decoding there measured slower
/// than widening bf16 (`bench model-matmul --rows 16`: 13.2–13.7 against 11.2–11.3 ms a step).
///
/// Nearly all of a matrix's weights have one of a few exponents: per matrix, all but ~0.01% of the nonzero
/// weights fall in a window of 15 consecutive exponents (SmolLM2-135M). So each weight is stored as a byte (sign
/// and the 7 mantissa bits) and a 4-bit code: 0 for exponent 0 (zeros and subnormals, whose mantissa the byte
/// keeps), c in 1...15 for exponent `firstExponent + c − 1`. The bits are reproduced exactly, so the kernel
/// multiplies the same f32 values in the same chains as `PackedBF16Panels`' and gives the same bits.
///
/// Layout: panels of 16 outputs as in `PackedBF16Panels`, each cut into blocks of 64 input steps. A block is coded
/// (per step: 16 bytes, one per output, then 8 bytes of codes, output j's in bits 4j..<4j+4 of a little-endian
/// UInt64) unless one of its weights lies outside the window; then it is raw (per step: `PackedBF16Panels`' 32 bytes).
/// ~2% of blocks are raw here. `blockOffsets` finds each block; a block's size tells which kind it is.
public struct CodedBF16Panels: Sendable {
    static let width = PackedBF16Panels.width
    static let blockSteps = 64
    static let codedStepBytes = 24, rawStepBytes = 32

    let data: [UInt8]
    /// Byte offset in `data` of block b of panel p at [p · numBlocks + b]; one more entry ends the last block.
    let blockOffsets: [Int]
    /// f32 bits of each code's exponent field: 0 for code 0, (firstExponent + c − 1) << 23 for c ≥ 1.
    let exponentBits: [Int32]
    let rows: Int
    let columns: Int

    var numPanels: Int { (rows + Self.width - 1) / Self.width }
    var numBlocks: Int { (columns + Self.blockSteps - 1) / Self.blockSteps }
    public var byteCount: Int { data.count }

    init(bits: UnsafeBufferPointer<UInt16>, rows: Int, columns: Int) {
        precondition(bits.count == rows * columns, "bf16 matrix of \(bits.count) values is not [\(rows), \(columns)]")
        self.rows = rows
        self.columns = columns
        let firstExponent = Self.firstExponentOfWindow(bits)
        exponentBits = (0..<16).map { $0 == 0 ? 0 : Int32(firstExponent + $0 - 1) << 23 }
        let numPanels = (rows + Self.width - 1) / Self.width, numBlocks = (columns + Self.blockSteps - 1) / Self.blockSteps
        let base = bits.baseAddress!
        // Output j of panel p at input k (0 for the padding outputs of the last panel).
        func bitsAt(_ p: Int, _ j: Int, _ k: Int) -> UInt16 { 16 * p + j < rows ? base[(16 * p + j) * columns + k] : 0 }
        // A weight's exponent code, nil outside the window.
        func code(_ w: UInt16) -> UInt64? {
            let exponent = Int(w >> 7 & 0xFF)
            if exponent == 0 { return 0 }
            let code = exponent - firstExponent + 1
            return 1...15 ~= code ? UInt64(code) : nil
        }
        // First where each block starts: a block is raw if any of its weights has no code. Sizes, then offsets.
        var offsets = [Int](repeating: 0, count: numPanels * numBlocks + 1)
        let panelsPerItem = 64, numItems = (numPanels + panelsPerItem - 1) / panelsPerItem
        offsets.withUnsafeMutableBufferPointer { offsets in
            nonisolated(unsafe) let sizes = offsets.baseAddress! + 1
            KernelThreads.shared.forEach(numItems) { item, _ in
                for p in item * panelsPerItem..<min(numPanels, (item + 1) * panelsPerItem) {
                    for b in 0..<numBlocks {
                        let steps = b * Self.blockSteps..<min(columns, (b + 1) * Self.blockSteps)
                        let coded = (0..<Self.width).allSatisfy { j in 16 * p + j >= rows || steps.allSatisfy { code(bitsAt(p, j, $0)) != nil } }
                        sizes[p * numBlocks + b] = steps.count * (coded ? Self.codedStepBytes : Self.rawStepBytes)
                    }
                }
            }
            for i in 1..<offsets.count { offsets[i] += offsets[i - 1] }
        }
        data = [UInt8](unsafeUninitializedCapacity: offsets.last!) { buffer, count in
            // Loading is worth both cores too (135M weights): each thread writes its own panels' bytes.
            nonisolated(unsafe) let data = buffer.baseAddress!
            KernelThreads.shared.forEach(numItems) { item, _ in
                for p in item * panelsPerItem..<min(numPanels, (item + 1) * panelsPerItem) {
                    for b in 0..<numBlocks {
                        let i = p * numBlocks + b, first = b * Self.blockSteps
                        let raw = offsets[i + 1] - offsets[i] == min(columns - first, Self.blockSteps) * Self.rawStepBytes
                        var at = offsets[i]
                        for k in first..<min(columns, first + Self.blockSteps) {
                            if raw {
                                for j in 0..<8 {
                                    let lane = UInt32(bitsAt(p, j, k)) | UInt32(bitsAt(p, 8 + j, k)) << 16
                                    for byte in 0..<4 { data[at + 4 * j + byte] = UInt8(truncatingIfNeeded: lane >> (8 * byte)) }
                                }
                                at += Self.rawStepBytes
                                continue
                            }
                            var codes: UInt64 = 0
                            for j in 0..<Self.width {
                                let w = bitsAt(p, j, k)
                                data[at + j] = UInt8(truncatingIfNeeded: (w >> 8 & 0x80) | (w & 0x7F))
                                codes |= code(w)! << (4 * j)
                            }
                            for byte in 0..<8 { data[at + 16 + byte] = UInt8(truncatingIfNeeded: codes >> (8 * byte)) }
                            at += Self.codedStepBytes
                        }
                    }
                }
            }
            count = offsets.last!
        }
        blockOffsets = offsets
    }

    /// The start of the 15 consecutive exponents that hold the most nonzero-exponent weights.
    private static func firstExponentOfWindow(_ bits: UnsafeBufferPointer<UInt16>) -> Int {
        var counts = [Int](repeating: 0, count: 256)
        for w in bits { counts[Int(w >> 7 & 0xFF)] += 1 }
        counts[0] = 0
        var best = 1, bestCount = -1
        for first in 1...241 {
            let count = counts[first..<first + 15].reduce(0, +)
            if count > bestCount { (best, bestCount) = (first, count) }
        }
        return best
    }

    /// The bf16 bits of output j of panel p at input k.
    func weight(panel p: Int, output j: Int, k: Int) -> UInt16 {
        let b = k / Self.blockSteps, step = k % Self.blockSteps
        let start = blockOffsets[p * numBlocks + b], size = blockOffsets[p * numBlocks + b + 1] - start
        let steps = min(columns - b * Self.blockSteps, Self.blockSteps)
        if size == steps * Self.rawStepBytes {
            let lane = start + step * Self.rawStepBytes + 4 * (j % 8) + (j < 8 ? 0 : 2)
            return UInt16(data[lane]) | UInt16(data[lane + 1]) << 8
        }
        return data.withUnsafeBufferPointer { decode($0.baseAddress! + start + step * Self.codedStepBytes, output: j) }
    }

    /// The bf16 bits of output j from a coded step.
    @inline(__always)
    private func decode(_ step: UnsafePointer<UInt8>, output j: Int) -> UInt16 {
        let byte = UInt16(step[j]), code = Int(step[16 + j / 2] >> (4 * (j % 2)) & 0xF)
        return (byte & 0x80) << 8 | UInt16(truncatingIfNeeded: exponentBits[code] >> 16) | (byte & 0x7F)
    }
}

extension Kernels {
    /// y[n, out] = x[n, in] · wᵀ for one or two rows of x, on `path`'s kernel that decodes `CodedBF16Panels`
    /// (CBF16Gemm.h): the same items and chains as `matmulPackedBF16`, the same bits.
    static func matmulCodedBF16(_ x: UnsafePointer<Float>, _ w: CodedBF16Panels, _ y: UnsafeMutablePointer<Float>, n: Int, path: KernelPath) {
        precondition(n <= 2 && path.decodesCodedBF16 && path.isSupported)
        let avx512 = path.bf16Kernel == .avx512
        let numPanels = w.numPanels, panelsPerItem = bf16PanelsPerItem(numPanels)
        w.data.withUnsafeBufferPointer { data in
            w.blockOffsets.withUnsafeBufferPointer { offsets in
                w.exponentBits.withUnsafeBufferPointer { exponents in
                    // The threads share these (valid for the whole call) and write disjoint columns of y.
                    nonisolated(unsafe) let x = x, y = y, data = data.baseAddress!, offsets = offsets.baseAddress!,
                                            exponents = exponents.baseAddress!
                    KernelThreads.shared.forEach((numPanels + panelsPerItem - 1) / panelsPerItem) { item, _ in
                        let first = item * panelsPerItem, last = min(numPanels, first + panelsPerItem)
                        if avx512 {
                            ck_coded_bf16_gemm_avx512vbmi(x, n, data, offsets, w.numBlocks, exponents, w.columns, w.rows, first, last, y)
                        } else {
                            ck_coded_bf16_gemm_avx2(x, n, data, offsets, w.numBlocks, exponents, w.columns, w.rows, first, last, y)
                        }
                    }
                }
            }
        }
    }
}
