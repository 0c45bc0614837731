import Foundation
import Model

/// The model's matrix shapes through our bf16 panel kernel and through BLAS on the same values widened to
/// f32, for several row counts. Options: --rows 1,4,16,64 --seconds S (per measurement); --dtype q8_0|q4_0 compares
/// the quantized kernels (on SERVE_KERNELS or the best path) with the bf16 panels instead of bf16 with BLAS.
func runMatmulBenchmark(_ arguments: [String]) {
    let rowCounts = arguments.firstIndex(of: "--rows").map { arguments[$0 + 1].split(separator: ",").compactMap { Int($0) } }
        ?? [1, 2, 4, 8, 16, 32, 64, 128, 512]
    let budget = arguments.firstIndex(of: "--seconds").flatMap { Double(arguments[$0 + 1]) } ?? 0.3
    // SmolLM2-135M: q|k|v, o, gate|up, down, LM head.
    let shapes = [("qkv", 960, 576), ("o", 576, 576), ("gate|up", 3072, 576), ("down", 576, 1536), ("lm head", 49152, 576)]
    var generator = SystemRandomNumberGenerator()
    let quantized = arguments.firstIndex(of: "--dtype").flatMap { BlockFormat(rawValue: arguments[$0 + 1]) }
    print(quantized.map { "GFLOP/s, \($0.rawValue) (\(KernelPath.selected.rawValue)) / bf16 panels" } ?? "GFLOP/s, bf16 panels / BLAS f32",
          "(fastest call of ~\(budget) s of repeats each)")
    print("rows  " + shapes.map { $0.0.padding(toLength: 18, withPad: " ", startingAt: 0) }.joined())
    let matrices = shapes.map { _, rows, columns -> (WeightMatrix, WeightMatrix) in
        let bits = (0..<rows * columns).map { _ in UInt16.random(in: 0x3000...0x3F00, using: &generator) }
        let values = bits.map { Float(bitPattern: UInt32($0) << 16) }
        if let format = quantized {
            return (WeightMatrix(quantized: values.withUnsafeBufferPointer { QuantizedPanels(quantizing: $0, rows: rows, columns: columns, format: format) }),
                    WeightMatrix(rows: rows, columns: columns, bf16: bits))
        }
        return (WeightMatrix(rows: rows, columns: columns, bf16: bits), WeightMatrix(rows: rows, columns: columns, f32: values))
    }
    if arguments.contains("--cold") {
        // 30 layers' worth of distinct gate|up matrices, cycled: weights come from DRAM as in the model.
        let layers = (0..<30).map { _ -> WeightMatrix in
            let bits = (0..<3072 * 576).map { _ in UInt16.random(in: 0x3000...0x3F00, using: &generator) }
            guard let format = quantized else { return WeightMatrix(rows: 3072, columns: 576, bf16: bits) }
            let values = bits.map { Float(bitPattern: UInt32($0) << 16) }
            return WeightMatrix(quantized: values.withUnsafeBufferPointer { QuantizedPanels(quantizing: $0, rows: 3072, columns: 576, format: format) })
        }
        let bytesPerMatrix = Double(quantized.map { 3072 * 576 / 32 * $0.blockBytes } ?? 3072 * 576 * 2)
        for n in rowCounts {
            let x = (0..<n * 576).map { _ in Float.random(in: -1...1, using: &generator) }
            var y = [Float](repeating: 0, count: n * 3072)
            let start = DispatchTime.now()
            for _ in 0..<5 { for m in layers { x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { m.apply(xp.baseAddress!, $0.baseAddress!, n: n) } } } }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            print(String(format: "cold gate|up n=%d: %.1f GFLOP/s, %.1f GB/s of weights, %.1f us per matrix", n,
                         150 * 2.0 * Double(n * 3072 * 576) / elapsed / 1e9, 150 * bytesPerMatrix / elapsed / 1e9, elapsed / 150 * 1e6))
        }
        return
    }
    for n in rowCounts {
        var line = "\(n)".padding(toLength: 6, withPad: " ", startingAt: 0)
        for ((_, rows, columns), pair) in zip(shapes, matrices) {
            let x = (0..<n * columns).map { _ in Float.random(in: -1...1, using: &generator) }
            var y = [Float](repeating: 0, count: n * rows)
            let flop = 2.0 * Double(n * rows * columns)
            let rates = [pair.0, pair.1].map { matrix -> Double in
                var best = Double.infinity, spent = 0.0
                while spent < budget {
                    let start = DispatchTime.now()
                    x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { matrix.apply(xp.baseAddress!, $0.baseAddress!, n: n) } }
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
                    best = min(best, elapsed)
                    spent += elapsed
                }
                return flop / best / 1e9
            }
            line += String(format: "%6.1f / %-6.1f    ", rates[0], rates[1])
        }
        print(line)
    }
}
