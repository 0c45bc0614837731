import XCTest
@testable import Model

/// CodedBF16Panels: the 12-bit copy of a bf16 matrix holds every weight's exact bits, in coded and raw blocks, and
/// the kernel that decodes it gives the bits of the plain bf16 kernel.
final class CodedBF16Tests: XCTestCase {
    /// Shapes: a partial last panel, inputs that are not whole 64-step blocks, a single block, enough panels for
    /// both threads, the model's input sizes.
    static let shapes = [(rows: 200, columns: 576), (rows: 72, columns: 1536), (rows: 301, columns: 71), (rows: 149, columns: 64),
                         (rows: 7, columns: 130)]

    /// Weights like a model's (uniform in ±1: exponents mostly 120–126), and, at about one position in 300, what a
    /// 15-exponent window cannot hold (2^±20 and beyond) or what code 0 holds (±0, subnormals); with `specials`,
    /// also infinities and NaN.
    static func weights(count: Int, seed: UInt64, specials: Bool = false) -> [UInt16] {
        var generator = SeededGenerator(seed: seed)
        let unusual: [Float] = [0, -0.0, 1e-39, -3e-40, 1e-7, -2.5e-8, 3e6, -1.5e7] + (specials ? [.infinity, -.infinity, .nan] : [])
        var bits = (0..<count).map { _ in
            let value = Int.random(in: 0..<300, using: &generator) == 0 ? unusual.randomElement(using: &generator)!
                                                                          : Float.random(in: -1...1, using: &generator)
            return UInt16(value.bitPattern >> 16)
        }
        bits[count / 3] = UInt16(Float(3e6).bitPattern >> 16)   // at least one raw block, even in a small matrix
        return bits
    }

    func testEveryWeightKeepsItsBits() {
        for (index, shape) in Self.shapes.enumerated() {
            let bits = Self.weights(count: shape.rows * shape.columns, seed: UInt64(index), specials: true)
            let coded = bits.withUnsafeBufferPointer { CodedBF16Panels(bits: $0, rows: shape.rows, columns: shape.columns) }
            for row in 0..<shape.rows {
                for k in 0..<shape.columns where coded.weight(panel: row / 16, output: row % 16, k: k) != bits[row * shape.columns + k] {
                    XCTFail("\(shape): weight [\(row), \(k)] is \(coded.weight(panel: row / 16, output: row % 16, k: k)), not \(bits[row * shape.columns + k])")
                    return
                }
            }
            // The padding outputs of the last panel are zeros.
            for output in shape.rows % 16..<(shape.rows % 16 == 0 ? 0 : 16) {
                XCTAssertEqual(coded.weight(panel: coded.numPanels - 1, output: output, k: shape.columns - 1), 0)
            }
            // Both kinds of block occur (an outlier makes its block raw), and the copy is smaller than bf16.
            let raw = (0..<coded.numPanels * coded.numBlocks).filter { i in
                let steps = min(shape.columns - i % coded.numBlocks * CodedBF16Panels.blockSteps, CodedBF16Panels.blockSteps)
                return coded.blockOffsets[i + 1] - coded.blockOffsets[i] == steps * CodedBF16Panels.rawStepBytes
            }.count
            XCTAssertGreaterThan(raw, 0, "\(shape)")
            XCTAssertLessThan(raw, coded.numPanels * coded.numBlocks, "\(shape)")
        }
    }

    /// One and two rows (the products the copy serves) on every path that decodes it, against the plain panels
    /// on the same path: the same bits.
    func testKernelGivesThePlainKernelsBits() throws {
        for path in KernelPath.testedPaths() where !path.decodesCodedBF16 && path.bf16Kernel == .avx512 {
            print("note: the coded bf16 kernel of \(path.rawValue) is not tested: this CPU lacks AVX-512 VBMI")
        }
        let paths = KernelPath.testedPaths().filter(\.decodesCodedBF16)
        guard !paths.isEmpty else {
            print("note: the coded bf16 kernels are not tested: this CPU lacks AVX2")
            throw XCTSkip("no AVX2")
        }
        for (index, shape) in Self.shapes.enumerated() {
            let bits = Self.weights(count: shape.rows * shape.columns, seed: 100 + UInt64(index))
            let coded = WeightMatrix(rows: shape.rows, columns: shape.columns, bf16: bits, coded: true)
            let plain = WeightMatrix(rows: shape.rows, columns: shape.columns, bf16: bits, coded: false)
            XCTAssertNotNil(coded.coded)
            XCTAssertNil(plain.coded)
            var generator = SeededGenerator(seed: 200 + UInt64(index))
            let x = (0..<2 * shape.columns).map { _ in Float.random(in: -1...1, using: &generator) }
            for path in paths {
                for n in 1...2 {
                    let expected = Self.apply(plain, x, n: n, path: path), actual = Self.apply(coded, x, n: n, path: path)
                    XCTAssertEqual(actual.map(\.bitPattern), expected.map(\.bitPattern), "\(path.rawValue), \(n) rows, \(shape)")
                }
            }
        }
    }

    private static func apply(_ matrix: WeightMatrix, _ x: [Float], n: Int, path: KernelPath) -> [Float] {
        var y = [Float](repeating: .nan, count: n * matrix.rows)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { matrix.apply(xp.baseAddress!, $0.baseAddress!, n: n, path: path) } }
        return y
    }
}
