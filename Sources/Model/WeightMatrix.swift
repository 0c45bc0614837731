import COpenBLAS

/// A [rows, columns] weight matrix (torch.nn.Linear layout: y = x · Wᵀ). A bf16 checkpoint stays bf16,
/// packed in panels for our GEMM kernel, which matches BLAS on f32 at every row count here while streaming
/// half the bytes (`bench matmul`), plus, where the kernels can read it, a 12-bit copy for one- and two-row
/// products (`coded`). Other dtypes become f32 and go through BLAS.
public struct WeightMatrix: Sendable {
    public enum Storage: Sendable {
        case f32([Float])   // row-major [rows, columns]
        case bf16(PackedBF16Panels)
        case quantized(QuantizedPanels)   // Q8_0 / Q4_0 blocks (`--dtype`), see QuantizedPanels
    }

    public let rows: Int
    public let columns: Int
    public let storage: Storage
    /// A bf16 matrix's weights once more, in 12-bit codes, for products of one or two rows on kernels that decode
    /// them (see CodedBF16Panels); nil for other storage, other kernels, or `SERVE_BF16_CODING=off`.
    public let coded: CodedBF16Panels?

    public init(rows: Int, columns: Int, f32 values: [Float]) {
        precondition(values.count == rows * columns, "f32 matrix of \(values.count) values is not [\(rows), \(columns)]")
        self.rows = rows
        self.columns = columns
        storage = .f32(values)
        coded = nil
    }

    /// `coded`: also keep the `CodedBF16Panels` copy.
    public init(rows: Int, columns: Int, bf16 bits: [UInt16], coded: Bool = CodedBF16Panels.isPreferred) {
        self.rows = rows
        self.columns = columns
        storage = .bf16(bits.withUnsafeBufferPointer { PackedBF16Panels(bits: $0, rows: rows, columns: columns) })
        self.coded = coded ? bits.withUnsafeBufferPointer { CodedBF16Panels(bits: $0, rows: rows, columns: columns) } : nil
    }

    public init(quantized panels: QuantizedPanels) {
        rows = panels.rows
        columns = panels.columns
        storage = .quantized(panels)
        coded = nil
    }

    /// Loads the named tensors (each [rowCounts[i], columns]) stacked along rows into one matrix.
    init(file: SafeTensorsFile, names: [String], rowCounts: [Int], columns: Int) throws {
        let allBF16 = try names.allSatisfy { name in
            guard let info = file.tensors[name] else { throw SafeTensorsError.missingTensor(name) }
            return info.dtype == .bf16
        }
        let rows = rowCounts.reduce(0, +)
        if allBF16 {
            self.init(rows: rows, columns: columns, bf16: try zip(names, rowCounts).flatMap { try file.bf16Bits($0, shape: [$1, columns]) })
        } else {
            self.init(rows: rows, columns: columns, f32: try zip(names, rowCounts).flatMap { try file.floats($0, shape: [$1, columns]) })
        }
    }

    /// Row `index` as f32 into `destination` (embedding lookup).
    func copyRow(_ index: Int, to destination: UnsafeMutablePointer<Float>) {
        switch storage {
        case .f32(let values):
            values.withUnsafeBufferPointer { destination.update(from: $0.baseAddress! + index * columns, count: columns) }
        case .bf16(let panels):
            panels.copyRow(index, to: destination)
        case .quantized(let panels):
            panels.copyRow(index, to: destination)
        }
    }

    /// y[n, rows] = x[n, columns] · selfᵀ, on `path`'s kernels.
    public func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, n: Int, path: KernelPath = .selected) {
        switch storage {
        case .quantized(let panels):
            Kernels.matmulQuantized(x, panels, y, n: n, path: path)
        case .bf16(let panels):
            if n <= 2, path.decodesCodedBF16, let coded {
                Kernels.matmulCodedBF16(x, coded, y, n: n, path: path)
            } else {
                Kernels.matmulPackedBF16(x, panels, y, n: n, path: path)
            }
        case .f32(let values):
            values.withUnsafeBufferPointer { Kernels.matmul(x, $0.baseAddress!, y, n: n, inFeatures: columns, outFeatures: rows) }
        }
    }
}
