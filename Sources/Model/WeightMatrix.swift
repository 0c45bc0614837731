/// A row-major [rows, columns] weight matrix. A bf16 checkpoint keeps its bf16 bits for decode steps
/// (few rows: streaming half the bytes wins) and an f32 copy for BLAS when many rows share the
/// matrix (prefill: compute-bound). Other dtypes become f32.
public struct WeightMatrix: Sendable {
    public enum Storage: Sendable {
        case f32([Float])
        /// bits, and the same values widened to f32
        case bf16([UInt16], [Float])
    }

    public let rows: Int
    public let columns: Int
    public let storage: Storage

    public init(rows: Int, columns: Int, f32 values: [Float]) {
        self.rows = rows
        self.columns = columns
        storage = .f32(values)
    }

    public init(rows: Int, columns: Int, bf16 bits: [UInt16]) {
        self.rows = rows
        self.columns = columns
        storage = .bf16(bits, bits.map { Float(bitPattern: UInt32($0) << 16) })
    }

    /// Loads the named tensors (each [rowCounts[i], columns]) stacked along rows into one matrix.
    init(file: SafeTensorsFile, names: [String], rowCounts: [Int], columns: Int) throws {
        let allBF16 = try names.allSatisfy { name in
            guard let info = file.tensors[name] else { throw SafeTensorsError.missingTensor(name) }
            return info.dtype == .bf16
        }
        if allBF16 {
            let bits = try zip(names, rowCounts).flatMap { try file.bf16Bits($0, shape: [$1, columns]) }
            storage = .bf16(bits, bits.map { Float(bitPattern: UInt32($0) << 16) })
        } else {
            storage = .f32(try zip(names, rowCounts).flatMap { try file.floats($0, shape: [$1, columns]) })
        }
        rows = rowCounts.reduce(0, +)
        self.columns = columns
    }

    /// Row `index` as f32 into `destination` (embedding lookup).
    func copyRow(_ index: Int, to destination: UnsafeMutablePointer<Float>) {
        switch storage {
        case .f32(let values), .bf16(_, let values):
            values.withUnsafeBufferPointer { destination.update(from: $0.baseAddress! + index * columns, count: columns) }
        }
    }

    /// y[n, rows] = x[n, columns] · selfᵀ.
    func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, n: Int) {
        switch storage {
        case .bf16(let bits, _) where n <= Self.maxRowsForBF16Kernel:
            bits.withUnsafeBufferPointer { Kernels.matmulBF16(x, $0.baseAddress!, y, n: n, inFeatures: columns, outFeatures: rows) }
        case .f32(let values), .bf16(_, let values):
            values.withUnsafeBufferPointer { Kernels.matmul(x, $0.baseAddress!, y, n: n, inFeatures: columns, outFeatures: rows) }
        }
    }

    /// Up to this many rows the bf16 kernel (bandwidth-bound) beats BLAS on f32 (compute-bound); measured with `bench model`.
    static let maxRowsForBF16Kernel = 16
}
