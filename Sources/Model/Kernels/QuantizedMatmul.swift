import CKernels
import Dispatch

extension Kernels {
    /// y[n, rows] = x[n, columns] · wᵀ for Q8_0/Q4_0 weights: x is quantized per row and 32-value block to int8
    /// (as llama.cpp quantizes activations for its Q8_0/Q4_0 dots), each block's int8 · int8 dot is exact, and the
    /// dots are scaled and summed in f32 block by block in a fixed order. So every path gives the same bits, and a
    /// row's result does not depend on how many rows share the call (speculative verification relies on it).
    /// The panels are split into items the kernel threads take (`KernelThreads`).
    static func matmulQuantized(_ x: UnsafePointer<Float>, _ w: QuantizedPanels, _ y: UnsafeMutablePointer<Float>, n: Int, path: KernelPath) {
        let columns = w.columns, numBlocks = w.numBlocks, numPanels = w.numPanels, rows = w.rows
        // Activation scratch: n · (columns + 8 · columns / 32) bytes, on the stack for decode-sized n.
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: n * columns) { q in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: n * numBlocks) { d in
                withUnsafeTemporaryAllocation(of: Int32.self, capacity: n * numBlocks) { sum in
                    // A prefill's activations are worth splitting too (512 × 1536 values take about as long as a
                    // third of the product on one thread); a decode's few rows are not worth a second dispatch.
                    let quantizeThreads = n >= 32 ? Kernels.numThreads : 1
                    nonisolated(unsafe) let x = x, q = q.baseAddress!, d = d.baseAddress!, sum = sum.baseAddress!
                    KernelThreads.shared.forEach(quantizeThreads) { thread, _ in
                        let first = n * thread / quantizeThreads, last = n * (thread + 1) / quantizeThreads
                        quantizeActivations(x + first * columns, n: last - first, columns: columns, q + first * columns,
                                            d + first * numBlocks, sum + first * numBlocks, path: path)
                    }
                    let activations = cq_activations(q: q, d: d, sum: sum, n: Int32(n), columns: Int32(columns))
                    // Items of a few panels, ~eight per thread so a late thread's share is small.
                    let panelsPerItem = numPanels >= 8 ? max(2, (numPanels + 8 * Kernels.numThreads - 1) / (8 * Kernels.numThreads)) : numPanels
                    let numItems = (numPanels + panelsPerItem - 1) / panelsPerItem
                    // The threads share the activations and y (valid for the whole call) and write disjoint columns of y.
                    nonisolated(unsafe) let a = activations, y = y
                    w.bytes.withUnsafeBufferPointer { bytes in
                        nonisolated(unsafe) let panels = bytes.baseAddress!
                        KernelThreads.shared.forEach(numItems) { item, _ in
                            let first = item * panelsPerItem, last = min(numPanels, first + panelsPerItem)
                            gemmPanels(a, w, panels, rows: rows, first: first, last: last, y, path: path)
                        }
                    }
                }
            }
        }
    }

    private static func quantizeActivations(_ x: UnsafePointer<Float>, n: Int, columns: Int, _ q: UnsafeMutablePointer<Int8>,
                                            _ d: UnsafeMutablePointer<Float>, _ sum: UnsafeMutablePointer<Int32>, path: KernelPath) {
        #if arch(x86_64)
        if path != .reference {
            cq_quantize_activations_avx2(x, Int32(n), Int32(columns), q, d, sum)
            return
        }
        #endif
        QuantizedReference.quantizeActivations(x, n: n, columns: columns, q: q, d: d, sum: sum)
    }

    /// One thread's panels on `path`. avx512-bf16 is about bf16 weights; its int8 products use the AVX-512 kernels.
    private static func gemmPanels(_ a: cq_activations, _ w: QuantizedPanels, _ panels: UnsafePointer<UInt8>, rows: Int,
                                   first: Int, last: Int, _ y: UnsafeMutablePointer<Float>, path: KernelPath) {
        guard first < last else { return }
        #if arch(x86_64)
        var a = a
        let r = Int32(rows), f = Int32(first), l = Int32(last)
        switch (path, w.format) {
        case (.reference, _): break
        case (.avx2, .q8_0): return cq_gemm_q8_0_avx2(&a, panels, r, f, l, y)
        case (.avx2, .q4_0): return cq_gemm_q4_0_avx2(&a, panels, r, f, l, y)
        case (.avxVNNI, .q8_0): return cq_gemm_q8_0_avxvnni(&a, panels, r, f, l, y)
        case (.avxVNNI, .q4_0): return cq_gemm_q4_0_avxvnni(&a, panels, r, f, l, y)
        case (.avx512, .q8_0), (.avx512BF16, .q8_0): return cq_gemm_q8_0_avx512(&a, panels, r, f, l, y)
        case (.avx512, .q4_0), (.avx512BF16, .q4_0): return cq_gemm_q4_0_avx512(&a, panels, r, f, l, y)
        case (.avx512VNNI, .q8_0): return cq_gemm_q8_0_avx512vnni(&a, panels, r, f, l, y)
        case (.avx512VNNI, .q4_0): return cq_gemm_q4_0_avx512vnni(&a, panels, r, f, l, y)
        }
        #endif
        QuantizedReference.gemm(a, w, firstPanel: first, lastPanel: last, y)
    }
}
