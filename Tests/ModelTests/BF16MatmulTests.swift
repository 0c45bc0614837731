import XCTest
@testable import Model

/// The bf16 panel GEMM on every kernel path this CPU has, against ReferenceKernels.matmul (f64 sums).
final class BF16MatmulTests: XCTestCase {
    /// Row counts: every decode and tile shape (1...17: one/two-row groups, tiles of 3...12 and their splits) and a
    /// prefill-sized 67. Input sizes the model uses (576, 1536) and an odd one (the bf16 pair tail); output counts
    /// that are not a multiple of 16 (a partial last panel) and enough panels for both threads.
    static let rowCounts = Array(1...17) + [40, 67]
    static let shapes = [(inFeatures: 576, outFeatures: 200), (inFeatures: 1536, outFeatures: 72), (inFeatures: 71, outFeatures: 301)]

    private struct Problem {
        let x: [Float]        // [67, inFeatures]
        let bits: [UInt16]    // [outFeatures, inFeatures]
        let matrix: WeightMatrix

        init(inFeatures: Int, outFeatures: Int, seed: UInt64) {
            var generator = SeededGenerator(seed: seed)
            x = (0..<BF16MatmulTests.rowCounts.max()! * inFeatures).map { _ in Float.random(in: -1...1, using: &generator) }
            bits = (0..<outFeatures * inFeatures).map { _ in UInt16(Float.random(in: -1...1, using: &generator).bitPattern >> 16) }
            matrix = WeightMatrix(rows: outFeatures, columns: inFeatures, bf16: bits)
        }

        func apply(n: Int, path: KernelPath) -> [Float] {
            var y = [Float](repeating: .nan, count: n * matrix.rows)
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { matrix.apply(xp.baseAddress!, $0.baseAddress!, n: n, path: path) } }
            return y
        }
    }

    /// Error relative to Σ_k |x_k · w_k| (what rounding errors scale with): at most 1e-6 for f32 activations,
    /// where one wrong or missing term of a 1536-term sum would show as ~6e-4. avx512-bf16 is compared against
    /// the reference on x rounded to bf16 as the kernel rounds it (nearest even): bf16 × bf16 products are exact in
    /// f32, so the same 1e-6 holds.
    func testMatchesReferenceOnEveryPath() {
        for (inFeatures, outFeatures) in Self.shapes {
            let problem = Problem(inFeatures: inFeatures, outFeatures: outFeatures, seed: UInt64(inFeatures))
            let weights = problem.bits.map { Float(bitPattern: UInt32($0) << 16) }
            let rows = Self.rowCounts.max()!
            let roundedX = problem.x.map(roundedToBF16)
            let absoluteSums = ReferenceKernels.matmul(problem.x.map(abs), weights.map(abs), n: rows, inFeatures: inFeatures, outFeatures: outFeatures)
            for path in KernelPath.testedPaths() {
                let x = path == .avx512BF16 ? roundedX : problem.x
                let expected = ReferenceKernels.matmul(x, weights, n: rows, inFeatures: inFeatures, outFeatures: outFeatures)
                for n in Self.rowCounts {
                    let y = problem.apply(n: n, path: path)
                    let worst = (0..<n * outFeatures).map { abs(y[$0] - expected[$0]) / absoluteSums[$0] }.max()!
                    XCTAssertLessThanOrEqual(worst, 1e-6, "\(path.rawValue): \(n) rows of \(inFeatures) → \(outFeatures)")
                }
            }
        }
    }

    /// A row's result is bit-identical whatever the row count, on every path: every tile shape runs the same chain,
    /// across input blocks too (151 inputs: two full blocks and a partial one, ending in half a bf16 pair), and
    /// with both threads' panels.
    func testRowsDoNotDependOnRowCountOnEveryPath() {
        for (inFeatures, outFeatures) in [(151, 140), (576, 200)] {
            let problem = Problem(inFeatures: inFeatures, outFeatures: outFeatures, seed: 99)
            for path in KernelPath.testedPaths() {
                let all = problem.apply(n: Self.rowCounts.max()!, path: path)
                for n in Self.rowCounts.dropLast() {
                    let y = problem.apply(n: n, path: path)
                    for r in 0..<n where y[r * outFeatures..<(r + 1) * outFeatures] != all[r * outFeatures..<(r + 1) * outFeatures] {
                        XCTFail("\(path.rawValue): row \(r) of \(n) differs from the same row of \(Self.rowCounts.max()!)")
                    }
                }
            }
        }
    }

    /// AVX2 and AVX-512 run the same FMA chain per output: their results agree bit for bit (so `.best` may pick
    /// either per kernel without changing any output).
    func testAVX2AndAVX512AgreeBitForBit() throws {
        try XCTSkipUnless(KernelPath.avx2.isSupported && KernelPath.avx512.isSupported, "needs AVX2 and AVX-512")
        for (inFeatures, outFeatures) in Self.shapes {
            let problem = Problem(inFeatures: inFeatures, outFeatures: outFeatures, seed: 5)
            for n in Self.rowCounts {
                XCTAssertEqual(problem.apply(n: n, path: .avx2), problem.apply(n: n, path: .avx512), "\(n) rows of \(inFeatures) → \(outFeatures)")
            }
        }
    }

    /// bf16 round to nearest even, as vcvtne2ps2bf16 does (no NaNs here).
    private func roundedToBF16(_ value: Float) -> Float {
        let bits = value.bitPattern
        return Float(bitPattern: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000)
    }
}
