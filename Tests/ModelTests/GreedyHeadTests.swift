import Scheduler
import XCTest
@testable import Model

/// GreedyHead: its bound holds, its kernel computes what the plain Swift pass does, and the token it finds is the
/// full logits' argmax (lowest id on ties) — on random matrices with outliers and on the real model.
private extension SeededGenerator {
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// Box–Muller.
    mutating func normal() -> Double { (-2 * log(max(unit(), 1e-300))).squareRoot() * cos(2 * .pi * unit()) }
}

final class GreedyHeadTests: XCTestCase {
    /// A bf16 [rows, columns] matrix of values around ±0.05 with a few outliers (the real embedding has them), and
    /// x rows with outlier dimensions; deterministic.
    private struct Case {
        var bits: [UInt16]
        var x: [Float]
        let rows: Int, columns: Int, n: Int

        init(rows: Int, columns: Int, n: Int, seed: UInt64) {
            var generator = SeededGenerator(seed: seed)
            self.rows = rows
            self.columns = columns
            self.n = n
            bits = (0..<rows * columns).map { _ in
                let value = Float(generator.normal()) * 0.05 * (generator.unit() < 0.01 ? 8 : 1)
                return UInt16(value.bitPattern >> 16)
            }
            x = (0..<n * columns).map { _ in Float(generator.normal()) * (generator.unit() < 0.02 ? 30 : 1) }
        }
    }

    /// The approximate pass's outputs for `head` on x, through `path`.
    private func approximate(_ head: GreedyHead, _ x: [Float], n: Int, path: KernelPath) -> (upper: [Float], lowerMax: [Float])? {
        let nb = head.numBlocks
        var codes = [Int8](repeating: 0, count: n * head.columns), blockScales = [Float](repeating: 0, count: n * nb)
        var corrections = [Int32](repeating: 0, count: n * nb), norms = [Float](repeating: 0, count: 2 * n)
        guard head.quantize(x, n: n, codes: &codes, blockScales: &blockScales, corrections: &corrections, norms: &norms) else { return nil }
        var upper = [Float](repeating: .nan, count: n * head.numPanels), lowerMax = [Float](repeating: -.infinity, count: n)
        head.approximate(codes: codes, blockScales: blockScales, corrections: corrections, norms: norms, n: n,
                         panelsPerItem: head.numPanels, upper: &upper, lowerMax: &lowerMax, path: path)
        return (upper, lowerMax)
    }

    /// Each kernel (AVX-512 VNNI; AVX2's sign trick, on every path that runs it) gives the plain Swift pass's bits
    /// (same integer dots, same FMA order), including a partial last panel and rows past the kernels' row tiles.
    func testKernelsMatchReference() throws {
        let kernelPaths = KernelPath.testedPaths().filter { GreedyHead.isAvailable(on: $0) }
        for (rows, n) in [(200, 1), (200, 9), (53, 16)] {
            let c = Case(rows: rows, columns: 96, n: n, seed: UInt64(rows * 31 + n))
            let head = try XCTUnwrap(GreedyHead(lmHead: WeightMatrix(rows: rows, columns: 96, bf16: c.bits, coded: false)))
            let reference = try XCTUnwrap(approximate(head, c.x, n: n, path: .reference))
            for path in kernelPaths {
                let kernel = try XCTUnwrap(approximate(head, c.x, n: n, path: path))
                XCTAssertEqual(kernel.upper.map(\.bitPattern), reference.upper.map(\.bitPattern), "\(path.rawValue): rows \(rows), n \(n)")
                XCTAssertEqual(kernel.lowerMax.map(\.bitPattern), reference.lowerMax.map(\.bitPattern), "\(path.rawValue): rows \(rows), n \(n)")
            }
        }
    }

    /// The bound holds for every logit (exact ≤ its panel's upper bound; the row's largest exact logit ≥ the largest
    /// lower bound), and the token found is the full argmax, on every path with a bf16 kernel.
    func testBoundHoldsAndTokenIsTheArgmax() throws {
        for seed in UInt64(1)...6 {
            let c = Case(rows: 1000, columns: 128, n: 12, seed: seed)
            let matrix = WeightMatrix(rows: c.rows, columns: c.columns, bf16: c.bits, coded: false)
            let head = try XCTUnwrap(GreedyHead(lmHead: matrix))
            for path in KernelPath.testedPaths(excluding: [.avx512BF16]) {
                var logits = [Float](repeating: 0, count: c.n * c.rows)
                matrix.apply(c.x, &logits, n: c.n, path: path)
                let approximation = try XCTUnwrap(approximate(head, c.x, n: c.n, path: GreedyHead.isAvailable(on: path) ? path : .reference))
                var scratch = GreedyHead.Scratch()
                var tokens = [Int](repeating: -1, count: c.n)
                XCTAssertTrue(head.argmax(c.x, n: c.n, lmHead: matrix, path: path, scratch: &scratch, tokens: &tokens))
                for r in 0..<c.n {
                    let row = Array(logits[r * c.rows..<(r + 1) * c.rows])
                    for v in 0..<c.rows {
                        XCTAssertLessThanOrEqual(row[v], approximation.upper[r * head.numPanels + v / 16], "seed \(seed) row \(r) v \(v)")
                    }
                    XCTAssertGreaterThanOrEqual(row.max()!, approximation.lowerMax[r])
                    XCTAssertEqual(tokens[r], row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }!,
                                   "seed \(seed) \(path.rawValue) row \(r)")
                }
            }
        }
    }

    /// Two identical vocabulary rows tie exactly: the lower id wins, as torch.argmax and the sampler pick it.
    func testTieGoesToTheLowerId() throws {
        var c = Case(rows: 300, columns: 64, n: 1, seed: 9)
        for k in 0..<64 { c.bits[250 * 64 + k] = c.bits[17 * 64 + k] }
        // x along row 17: its logit (‖w₁₇‖², shared with row 250) is the largest.
        c.x = (0..<64).map { Float(bitPattern: UInt32(c.bits[17 * 64 + $0]) << 16) * 100 }
        let matrix = WeightMatrix(rows: 300, columns: 64, bf16: c.bits, coded: false)
        let head = try XCTUnwrap(GreedyHead(lmHead: matrix))
        for path in KernelPath.testedPaths(excluding: [.avx512BF16]) {
            var scratch = GreedyHead.Scratch()
            var tokens = [-1]
            XCTAssertTrue(head.argmax(c.x, n: 1, lmHead: matrix, path: path, scratch: &scratch, tokens: &tokens))
            XCTAssertEqual(tokens, [17], path.rawValue)
        }
    }

    /// A row it cannot bound (not finite) is refused, so the runner computes that step's logits instead.
    func testNonFiniteRowIsRefused() throws {
        let c = Case(rows: 100, columns: 64, n: 2, seed: 3)
        let matrix = WeightMatrix(rows: 100, columns: 64, bf16: c.bits, coded: false)
        let head = try XCTUnwrap(GreedyHead(lmHead: matrix))
        var x = c.x
        x[70] = .nan
        var scratch = GreedyHead.Scratch()
        var tokens = [-1, -1]
        XCTAssertFalse(head.argmax(x, n: 2, lmHead: matrix, path: .reference, scratch: &scratch, tokens: &tokens))
    }

    /// The real model: at every position of the fixture prompts, in one batch that mixes argmax-only sequences with
    /// full-logit ones, each argmax-only row's token is the full logits' argmax, and the full rows' logits are those
    /// of a batch without any argmax-only sequence.
    func testSmolArgmaxOnlyRowsMatchFullLogits() throws {
        let model = try SharedModels.smol.get()
        guard model.weights.greedyHead != nil else {
            print("note: GreedyHead not tested on the model: no kernel path of this CPU has its approximate pass")
            return
        }
        let prompts = try loadJSON(ReferenceParityTests.SmolGreedy.self, "smol_greedy.json").prompts
        let sequences = prompts.map { $0.prompt_ids + $0.greedy_ids }
        var tables: [[Int]] = [], next = 0
        for tokens in sequences {
            let blocks = tokens.count / 16 + 1
            tables.append(Array(next..<next + blocks))
            next += blocks
        }
        let chunks = zip(sequences, tables).map { tokens, table in
            ScheduledChunk(tokens: tokens, numCachedTokens: 0, blockTable: table, logitIndices: Array(tokens.indices))
        }
        let flags = sequences.indices.map { $0 % 3 != 0 }
        for path in KernelPath.testedPaths().filter({ GreedyHead.isAvailable(on: $0) }) {
            let full = ModelRunner(model: model, numBlocks: next, kernelPath: path)
            try full.forward(ForwardBatch(chunks))
            let mixed = ModelRunner(model: model, numBlocks: next, kernelPath: path)
            try mixed.forward(ForwardBatch(chunks, argmaxOnly: flags))
            var row = 0, checked = 0
            for (s, tokens) in sequences.enumerated() {
                for _ in tokens {
                    if flags[s] {
                        XCTAssertEqual(mixed.argmax(row: row), full.argmax(row: row), "\(path.rawValue): sequence \(s), row \(row)")
                        checked += 1
                    } else {
                        XCTAssertEqual(mixed.withLogits(row: row) { Array($0) }, full.withLogits(row: row) { Array($0) }, "\(path.rawValue): row \(row)")
                    }
                    row += 1
                }
            }
            print("GreedyHead on smol (\(path.rawValue)): \(checked) argmax-only rows equal the full argmax")
        }
    }
}
