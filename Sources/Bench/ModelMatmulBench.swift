import Dispatch
import Foundation
import Model

/// The matrix products of one forward step of a real model, alone: every layer's qkv, o, gate|up and down and the
/// LM head, for n rows, weights streamed from memory as in decoding. Compares the step with what memory bandwidth
/// allows (bytes of all matrices / seconds). Options: --model DIR, --dtype bf16|q8_0|q4_0, --rows 1,9,16, --repeats N.
func runModelMatmulBenchmark(_ arguments: [String]) {
    let directory = arguments.firstIndex(of: "--model").map { arguments[$0 + 1] } ?? "weights/smol-135m"
    let format = arguments.firstIndex(of: "--dtype").flatMap { WeightFormat(rawValue: arguments[$0 + 1]) } ?? .bf16
    let rowCounts = arguments.firstIndex(of: "--rows").map { arguments[$0 + 1].split(separator: ",").compactMap { Int($0) } } ?? [1, 9, 16]
    let repeats = arguments.firstIndex(of: "--repeats").flatMap { Int(arguments[$0 + 1]) } ?? 20
    let model: LlamaModel
    do { model = try LlamaModel(directory: URL(fileURLWithPath: directory), format: format) } catch {
        print("bench: cannot load \(directory): \(error)")
        exit(1)
    }
    let matrices = model.weights.layers.flatMap { [$0.qkv, $0.output, $0.gateUp, $0.down] } + [model.weights.lmHead]
    /// The bytes a product of n rows reads: bf16 products of one or two rows read the coded copy if there is one.
    func bytes(n: Int) -> Int {
        matrices.reduce(0) { total, m in
            switch m.storage {
            case .quantized(let panels): total + panels.byteCount
            case .bf16: total + ((n <= 2 && KernelPath.selected.decodesCodedBF16 ? m.coded?.byteCount : nil) ?? m.rows * m.columns * 2)
            case .f32: total + m.rows * m.columns * 4
            }
        }
    }
    print(String(format: "%@ as %@ (kernels %@): %.1f MB of matrices per step (%.1f MB with one or two rows)", directory, format.rawValue,
                 KernelPath.selected.rawValue, Double(bytes(n: 3)) / 1e6, Double(bytes(n: 1)) / 1e6))
    for n in rowCounts {
        let bytes = bytes(n: n)
        let widest = matrices.map { max($0.rows, $0.columns) }.max()!
        let x = [Float](repeating: 0.5, count: n * widest).enumerated().map { Float(($0.offset * 7919) % 1000) / 500 - 1 }
        var y = [Float](repeating: 0, count: n * widest)
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now()
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in for m in matrices { m.apply(xp.baseAddress!, yp.baseAddress!, n: n) } }
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
        }
        print(String(format: "n=%d: %.2f ms per step (best of %d), %.1f GB/s of weights; at 16 GB/s the bytes alone take %.2f ms",
                     n, best * 1e3, repeats, Double(bytes) / best / 1e9, Double(bytes) / 16e9 * 1e3))
    }
}
