import Foundation
import XCTest
@testable import Model

/// The quantized GEMM: every kernel path equals the plain Swift reference bit for bit (integer block dots are exact
/// and every path sums the blocks in the same order), a row's result does not depend on the rows beside it, and the
/// reference is within the activation-rounding bound of the exact product of the dequantized weights.
final class QuantizedKernelTests: XCTestCase {
    /// Deterministic values in about ±scale (a small LCG; not crypto).
    private func values(_ count: Int, seed: UInt64, scale: Float) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    private func panels(rows: Int, columns: Int, format: BlockFormat, seed: UInt64) -> QuantizedPanels {
        values(rows * columns, seed: seed, scale: 0.05).withUnsafeBufferPointer {
            QuantizedPanels(quantizing: $0, rows: rows, columns: columns, format: format)
        }
    }

    private func multiply(_ x: [Float], _ w: QuantizedPanels, n: Int, path: KernelPath) -> [Float] {
        var y = [Float](repeating: .nan, count: n * w.rows)
        x.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { Kernels.matmulQuantized(x.baseAddress!, w, $0.baseAddress!, n: n, path: path) }
        }
        return y
    }

    private func noteUnsupportedPaths() {
        for path in KernelPath.allCases where !path.isSupported { print("note: this CPU lacks \(path.rawValue); its quantized kernels are not tested") }
    }

    /// Shapes: rows not a multiple of the 16-row panel (and fewer panels than the threading threshold), inputs of
    /// the model's two widths, row counts of decode (1), verify chunks (3, 9, 17) and prefill remainders (67).
    func testEveryPathEqualsReferenceBitForBit() {
        noteUnsupportedPaths()
        for format in BlockFormat.allCases {
            for (rows, columns) in [(37, 576), (200, 1536), (16 * 9 + 5, 64)] {
                let w = panels(rows: rows, columns: columns, format: format, seed: UInt64(rows * columns))
                for n in [1, 3, 9, 17, 67] {
                    let x = values(n * columns, seed: UInt64(n), scale: 2)
                    let expected = multiply(x, w, n: n, path: .reference)
                    XCTAssertFalse(expected.contains { $0.isNaN }, "\(format) [\(rows), \(columns)] n \(n): an output was not written")
                    for path in KernelPath.supported where path != .reference {
                        let actual = multiply(x, w, n: n, path: path)
                        let mismatch = actual.indices.first { actual[$0].bitPattern != expected[$0].bitPattern }
                        XCTAssertNil(mismatch, "\(path.rawValue) \(format) [\(rows), \(columns)] n \(n): output \(mismatch ?? -1) "
                                     + "\(mismatch.map { "\(actual[$0]) vs reference \(expected[$0])" } ?? "")")
                    }
                }
            }
        }
    }

    /// Each of 17 rows computed alone equals its row in the 17-row call, on every path (speculative verification
    /// compares a chunk's rows with one-token decodes bit for bit).
    func testRowResultDoesNotDependOnRowCount() {
        let columns = 576, n = 17
        for format in BlockFormat.allCases {
            let w = panels(rows: 150, columns: columns, format: format, seed: 7)
            let x = values(n * columns, seed: 11, scale: 1)
            for path in KernelPath.supported {
                let together = multiply(x, w, n: n, path: path)
                for r in 0..<n {
                    let alone = multiply(Array(x[r * columns..<(r + 1) * columns]), w, n: 1, path: path)
                    XCTAssertEqual(alone.map(\.bitPattern), together[r * w.rows..<(r + 1) * w.rows].map(\.bitPattern),
                                   "\(path.rawValue) \(format) row \(r)")
                }
            }
        }
    }

    /// The reference against the exact product of the dequantized weights with the unquantized activations: each
    /// activation moves by at most half its block's step d_x / 2, so |error| ≤ Σ_k |w_k| · d_x(k) / 2 (plus f32
    /// rounding, a relative 1e-5 here). A wrong scale, nibble order or sign would be off by far more.
    func testReferenceIsWithinActivationRoundingOfExactProduct() {
        let rows = 40, columns = 576, n = 3
        for format in BlockFormat.allCases {
            let w = panels(rows: rows, columns: columns, format: format, seed: 5)
            let x = values(n * columns, seed: 3, scale: 1.5)
            let y = multiply(x, w, n: n, path: .reference)
            var row = [Float](repeating: 0, count: columns)
            for o in 0..<rows {
                row.withUnsafeMutableBufferPointer { w.copyRow(o, to: $0.baseAddress!) }
                for r in 0..<n {
                    var exact = 0.0, bound = 0.0, magnitude = 0.0
                    for b in 0..<columns / 32 {
                        let block = x[(r * columns + 32 * b)..<(r * columns + 32 * b + 32)]
                        let step = Double(block.map(abs).max()!) / 127
                        for k in 32 * b..<32 * b + 32 {
                            exact += Double(row[k]) * Double(x[r * columns + k])
                            bound += abs(Double(row[k])) * step / 2
                            magnitude += abs(Double(row[k]) * Double(x[r * columns + k]))
                        }
                    }
                    XCTAssertLessThanOrEqual(abs(Double(y[r * rows + o]) - exact), bound + 1e-5 * magnitude, "\(format) output \(o) row \(r)")
                }
            }
        }
    }
}
