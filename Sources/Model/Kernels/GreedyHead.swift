import CKernels
import Foundation

/// The greedy token without every logit. A greedy row (temperature 0, no logprobs, penalties or grammar) needs
/// only the argmax of its logits, and the LM head is the largest matrix of a step (49152 × 576 here: 21% of the
/// weights). So an int8 copy of it (a scale per 32 inputs of a vocabulary row, as llama.cpp's Q8_0; x in int8 with a
/// scale per 32 inputs) gives every logit approximately, and a bound on each approximation's error leaves a handful
/// of candidates; only their panels are computed exactly, by the same kernel and FMA chains as the full LM head. The
/// token is the one the full logits' argmax gives (ties: the lowest id), bit for bit the same comparison.
///
/// The bound (for row x and vocabulary row w, ŵ and x̂ the int8 values times their scales):
///   |x·w − x̂·ŵ| ≤ |x·(w − ŵ)| + |ŵ·(x − x̂)| ≤ ‖w − ŵ‖ ‖x‖ + ‖ŵ‖ ‖x − x̂‖   (Cauchy–Schwarz)
/// The f32 rounding of the exact chain (≤ 576 · 2⁻²⁴ ≈ 3.4e-5 of ‖w‖ ‖x‖, twice that multiplying then adding),
/// of the approximation and of the bound itself is covered by 1e-4 · (‖ŵ‖ + ‖w − ŵ‖) ‖x‖ added to the first
/// term and by rounding every factor up. A vocabulary row is a candidate if approx + bound reaches the largest
/// approx − bound of the row: every other row's exact logit is strictly below some candidate's.
/// Measured: 1–25 candidates of 49152 at the fixture prompts' positions, 5–7 panels a row in the server under
/// scripts/load.py (a bound of 1–2 where the true error is about 0.3; one scale per row for x or for w left
/// hundreds to thousands: both have outlier dimensions). The approximate pass is vpdpbusd-bound (one a cycle here):
/// 1.1 ms for 16 rows against 2.2 ms for the bf16 LM head. Without VNNI (AVX2, AVX-512 F) a kernel with the same
/// bits takes eight instructions where vpdpbusd takes one, and still pays: forced onto those paths on this Zen 5,
/// c=16 +5% (AVX2) and about +2% (AVX-512), c=1 +10% and +1–10%.
public struct GreedyHead: Sendable {
    static let block = 32
    static let panelRows = 16
    let vocab: Int
    let columns: Int
    /// [numPanels][columns / 32][8][16 rows][4 inputs]: code + 128 as u8 (the layout vpdpbusd reads).
    let panels: [UInt8]
    /// The codes' scales, one per 32 inputs of a vocabulary row: [numPanels][columns / 32][16 rows].
    let scales: [Float]
    /// Per vocabulary row, padded to whole panels with zeros: ‖w − ŵ‖ plus slack, and ‖ŵ‖ (rounded up).
    let errorNorms: [Float]
    let weightNorms: [Float]

    var numPanels: Int { (vocab + Self.panelRows - 1) / Self.panelRows }
    var numBlocks: Int { columns / Self.block }

    /// Whether to build the copy (`SERVE_GREEDY_HEAD=off` leaves it out): only where a kernel reads it.
    public static var isWanted: Bool {
        ProcessInfo.processInfo.environment["SERVE_GREEDY_HEAD"] != "off" && KernelPath.supported.contains { isAvailable(on: $0) }
    }

    /// Whether `path` has the approximate pass: vpdpbusd on AVX-512 VNNI, the sign trick on the AVX2 paths (and on
    /// AVX-512 without VNNI). Other paths compute every logit.
    public static func isAvailable(on path: KernelPath) -> Bool {
        switch path {
        case .avx2, .avxVNNI, .avx512, .avx512VNNI: path.isSupported
        case .reference, .avx512BF16: false
        }
    }

    /// nil unless `lmHead` holds bf16 weights (the exact pass reads its panels), finite, with columns a multiple of 32.
    public init?(lmHead: WeightMatrix) {
        guard case .bf16 = lmHead.storage, lmHead.columns % Self.block == 0 else { return nil }
        let vocab = lmHead.rows, columns = lmHead.columns, nb = columns / Self.block
        let numPanels = (vocab + Self.panelRows - 1) / Self.panelRows
        var errorNorms = [Float](repeating: 0, count: numPanels * Self.panelRows), weightNorms = errorNorms
        var scales = [Float](repeating: 0, count: numPanels * nb * Self.panelRows)
        var isFinite = true
        var row = [Float](repeating: 0, count: columns)
        let panels = [UInt8](unsafeUninitializedCapacity: numPanels * columns * Self.panelRows) { codes, initialized in
            codes.initialize(repeating: 128)
            initialized = codes.count
            for v in 0..<vocab {
                row.withUnsafeMutableBufferPointer { lmHead.copyRow(v, to: $0.baseAddress!) }
                var error = 0.0, norm = 0.0
                for b in 0..<nb {
                    let values = row[b * Self.block..<(b + 1) * Self.block]
                    let maxAbs = values.reduce(Float(0)) { max($0, abs($1)) }
                    guard maxAbs.isFinite else { isFinite = false; return }
                    let scale = maxAbs / 127, inverse = scale > 0 ? 1 / scale : 0
                    for k in values.indices {
                        let code = Int(max(-127, min(127, (row[k] * inverse).rounded())))
                        let value = Double(scale) * Double(code)
                        error += (Double(row[k]) - value) * (Double(row[k]) - value)
                        norm += value * value
                        codes[Self.codeIndex(vocabRow: v, input: k, columns: columns)] = UInt8(code + 128)
                    }
                    scales[((v / Self.panelRows) * nb + b) * Self.panelRows + v % Self.panelRows] = scale
                }
                error = error.squareRoot()
                norm = norm.squareRoot()
                errorNorms[v] = Float((error + 1e-4 * (norm + error)) * (1 + 1e-6)).nextUp
                weightNorms[v] = Float(norm * (1 + 1e-6)).nextUp
            }
        }
        guard isFinite else { return nil }
        self.vocab = vocab
        self.columns = columns
        self.panels = panels
        self.scales = scales
        self.errorNorms = errorNorms
        self.weightNorms = weightNorms
    }

    /// Where the code of (vocabulary row v, input k) lives in `panels`.
    static func codeIndex(vocabRow v: Int, input k: Int, columns: Int) -> Int {
        let panel = v / panelRows, lane = v % panelRows, block = k / Self.block, group = (k % Self.block) / 4
        return ((panel * (columns / Self.block) + block) * 8 + group) * 64 + lane * 4 + k % 4
    }

    /// Scratch for `argmax`, kept by its caller so steady-state steps allocate nothing.
    struct Scratch {
        var codes = GrowableScratch()        // [n, columns] Int8, as floats' bytes
        var blockScales = GrowableScratch()  // [n, numBlocks]
        var corrections = GrowableScratch()  // [n, numBlocks] Int32
        var norms = GrowableScratch()        // [2, n]: ‖x‖, ‖x − x̂‖ (rounded up)
        var upper = GrowableScratch()        // [n, numPanels]: the largest approx + bound of each panel
        var exact = GrowableScratch()        // [n, vocab]: exact logits, written in the candidates' panels only
        var lowerMax = GrowableScratch()     // [numItems, n]
    }

    /// The argmax of each of the n rows of x·lmHeadᵀ as `lmHead.apply` computes them on `path`, into `tokens`;
    /// false (and `tokens` unset) if some row of x is not finite or too large to bound: compute those logits.
    /// `lmHead` must be the matrix this copy was made from; `path` one `isAvailable(on:)` accepts.
    func argmax(_ x: UnsafePointer<Float>, n: Int, lmHead: WeightMatrix, path: KernelPath, scratch: inout Scratch,
                tokens: UnsafeMutablePointer<Int>) -> Bool {
        guard case .bf16(let exactPanels) = lmHead.storage, n > 0 else { return n == 0 }
        let nb = numBlocks
        let codes = UnsafeMutableRawPointer(scratch.codes.pointer(atLeast: (n * columns + 3) / 4)).assumingMemoryBound(to: Int8.self)
        let blockScales = scratch.blockScales.pointer(atLeast: n * nb)
        let corrections = UnsafeMutableRawPointer(scratch.corrections.pointer(atLeast: n * nb)).assumingMemoryBound(to: Int32.self)
        let norms = scratch.norms.pointer(atLeast: 2 * n)
        guard quantize(x, n: n, codes: codes, blockScales: blockScales, corrections: corrections, norms: norms) else { return false }

        let panelsPerItem = max(8, numPanels / (8 * Kernels.numThreads)), numItems = (numPanels + panelsPerItem - 1) / panelsPerItem
        let upper = scratch.upper.pointer(atLeast: n * numPanels), exact = scratch.exact.pointer(atLeast: n * vocab), lowerMax = scratch.lowerMax.pointer(atLeast: numItems * n)
        lowerMax.update(repeating: -.infinity, count: numItems * n)
        approximate(codes: codes, blockScales: blockScales, corrections: corrections, norms: norms, n: n,
                    panelsPerItem: panelsPerItem, upper: upper, lowerMax: lowerMax, path: path)

        // Per row: the threshold, the panels holding a candidate, their exact logits, the best.
        nonisolated(unsafe) let x = x, upper2 = upper, exact2 = exact, lowerMax2 = lowerMax, tokens = tokens
        let vocab = vocab, columns = columns, numPanels = numPanels
        exactPanels.panels.withUnsafeBufferPointer { weights in
            nonisolated(unsafe) let weights = weights.baseAddress!
            KernelThreads.shared.forEach(n) { r, _ in
                var threshold = -Float.infinity
                for item in 0..<numItems { threshold = max(threshold, lowerMax2[item * n + r]) }
                let row = exact2 + r * vocab, panelUpper = upper2 + r * numPanels
                var best = -1, bestValue = -Float.infinity
                for p in 0..<numPanels where panelUpper[p] >= threshold {
                    let first = Self.panelRows * p, last = min(vocab, first + Self.panelRows)
                    Kernels.packedBF16Panels(x + r * columns, weights, row, rows: vocab, columns: columns, panels: p..<p + 1, path: path)
                    for v in first..<last where best < 0 || row[v] > bestValue { best = v; bestValue = row[v] }
                }
                tokens[r] = best
            }
        }
        return true
    }

    /// x's rows as int8 codes with a scale per 32 inputs, the blocks' corrections for the weights' +128, and the
    /// norms of the bound (rounded up); false if a row's norm is not finite.
    func quantize(_ x: UnsafePointer<Float>, n: Int, codes: UnsafeMutablePointer<Int8>, blockScales: UnsafeMutablePointer<Float>,
                  corrections: UnsafeMutablePointer<Int32>, norms: UnsafeMutablePointer<Float>) -> Bool {
        let nb = numBlocks
        for r in 0..<n {
            var squares: Float = 0, errorSquares: Float = 0
            for b in 0..<nb {
                let values = x + r * columns + b * Self.block
                var maxAbs: Float = 0
                for i in 0..<Self.block { maxAbs = max(maxAbs, abs(values[i])) }
                let scale = maxAbs / 127, inverse = scale > 0 ? 1 / scale : 0
                var sum: Int32 = 0
                for i in 0..<Self.block {
                    // |value · inverse| ≤ 127: adding and subtracting 1.5 · 2²³ rounds it to an integer (to even) in two
                    // adds, where `rounded()` is a libm call per value; any rounding is correct, the bound uses the codes.
                    let code = Int8(max(-127, min(127, (values[i] * inverse + 12_582_912) - 12_582_912)))
                    codes[r * columns + b * Self.block + i] = code
                    sum += Int32(code)
                    let error = values[i] - scale * Float(code)
                    squares += values[i] * values[i]
                    errorSquares += error * error
                }
                blockScales[r * nb + b] = scale
                corrections[r * nb + b] = -128 * sum
            }
            let norm = squares.squareRoot() * (1 + 1e-4)
            norms[r] = norm
            norms[n + r] = errorSquares.squareRoot() * (1 + 1e-4) + 1e-6 * norm
            guard norms[r].isFinite, norms[n + r].isFinite else { return false }
        }
        return true
    }

    /// The approximate pass (CGreedyHead.h) over every panel, in items of `panelsPerItem` panels on the kernel
    /// threads; item i folds its rows' largest lower bounds into lowerMax[i · n + r].
    func approximate(codes: UnsafePointer<Int8>, blockScales: UnsafePointer<Float>, corrections: UnsafePointer<Int32>,
                     norms: UnsafePointer<Float>, n: Int, panelsPerItem: Int,
                     upper: UnsafeMutablePointer<Float>, lowerMax: UnsafeMutablePointer<Float>, path: KernelPath) {
        let columns = columns, vocab = vocab, numPanels = numPanels
        let numItems = (numPanels + panelsPerItem - 1) / panelsPerItem
        panels.withUnsafeBufferPointer { panels in
            scales.withUnsafeBufferPointer { scales in
                errorNorms.withUnsafeBufferPointer { errorNorms in
                    weightNorms.withUnsafeBufferPointer { weightNorms in
                        // The threads share these (valid for the whole call) and write disjoint columns and items.
                        nonisolated(unsafe) let codes = codes, blockScales = blockScales, corrections = corrections, norms = norms,
                                                upper = upper, lowerMax = lowerMax, panels = panels.baseAddress!,
                                                scales = scales.baseAddress!, errorNorms = errorNorms.baseAddress!,
                                                weightNorms = weightNorms.baseAddress!
                        KernelThreads.shared.forEach(numItems) { item, _ in
                            let first = item * panelsPerItem, last = min(numPanels, first + panelsPerItem)
                            switch path {
                            case .avx512VNNI:
                                ck_greedy_head_avx512vnni(codes, blockScales, corrections, norms, norms + n, n, columns, panels, scales,
                                                          errorNorms, weightNorms, vocab, first, last, upper, numPanels, lowerMax + item * n)
                            case .avx2, .avxVNNI, .avx512:
                                ck_greedy_head_avx2(codes, blockScales, norms, norms + n, n, columns, panels, scales,
                                                    errorNorms, weightNorms, vocab, first, last, upper, numPanels, lowerMax + item * n)
                            default:
                                Self.approximateReference(codes: codes, blockScales: blockScales, corrections: corrections, norms: norms,
                                                          n: n, columns: columns, panels: panels, scales: scales, errorNorms: errorNorms,
                                                          weightNorms: weightNorms, vocab: vocab, panelRange: first..<last,
                                                          upper: upper, lowerMax: lowerMax + item * n)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The approximate pass in plain Swift, the C kernel's arithmetic operation for operation (so the same bits):
    /// integer block dots from the correction; per block dot · weight scale, added times the x block's scale by FMA
    /// in block order; then the bound.
    static func approximateReference(codes: UnsafePointer<Int8>, blockScales: UnsafePointer<Float>, corrections: UnsafePointer<Int32>,
                                     norms: UnsafePointer<Float>, n: Int, columns: Int, panels: UnsafePointer<UInt8>,
                                     scales: UnsafePointer<Float>, errorNorms: UnsafePointer<Float>, weightNorms: UnsafePointer<Float>,
                                     vocab: Int, panelRange: Range<Int>, upper: UnsafeMutablePointer<Float>,
                                     lowerMax: UnsafeMutablePointer<Float>) {
        let nb = columns / block, numPanels = (vocab + panelRows - 1) / panelRows
        for p in panelRange {
            for v in panelRows * p..<min(vocab, panelRows * (p + 1)) {
                for r in 0..<n {
                    var sum: Float = 0
                    for b in 0..<nb {
                        var dot = corrections[r * nb + b]
                        for k in b * block..<(b + 1) * block {
                            dot += Int32(panels[codeIndex(vocabRow: v, input: k, columns: columns)]) * Int32(codes[r * columns + k])
                        }
                        let product = Float(dot) * scales[(p * nb + b) * panelRows + v % panelRows]
                        sum = sum.addingProduct(product, blockScales[r * nb + b])
                    }
                    let bound = (weightNorms[v] * norms[n + r]).addingProduct(errorNorms[v], norms[r])
                    upper[r * numPanels + p] = v % panelRows == 0 ? sum + bound : max(upper[r * numPanels + p], sum + bound)
                    lowerMax[r] = max(lowerMax[r], sum - bound)
                }
            }
        }
    }
}
