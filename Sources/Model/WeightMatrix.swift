/// A row-major [rows, columns] weight matrix kept in the precision the checkpoint stores
/// (bf16 stays bf16: half the bytes to stream per decode step; everything else becomes f32).
public struct WeightMatrix: Sendable {
    public enum Storage: Sendable {
        case f32([Float])
        case bf16([UInt16])
    }

    public let rows: Int
    public let columns: Int
    public let storage: Storage

    public init(rows: Int, columns: Int, storage: Storage) {
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// Loads the named tensors (each [rowCounts[i], columns]) stacked along rows into one matrix.
    init(file: SafeTensorsFile, names: [String], rowCounts: [Int], columns: Int) throws {
        let allBF16 = try names.allSatisfy { name in
            guard let info = file.tensors[name] else { throw SafeTensorsError.missingTensor(name) }
            return info.dtype == .bf16
        }
        if allBF16 {
            storage = .bf16(try zip(names, rowCounts).flatMap { try file.bf16Bits($0, shape: [$1, columns]) })
        } else {
            storage = .f32(try zip(names, rowCounts).flatMap { try file.floats($0, shape: [$1, columns]) })
        }
        rows = rowCounts.reduce(0, +)
        self.columns = columns
    }

    /// Row `index` as f32 into `destination` (embedding lookup).
    func copyRow(_ index: Int, to destination: UnsafeMutablePointer<Float>) {
        switch storage {
        case .f32(let values):
            values.withUnsafeBufferPointer { destination.update(from: $0.baseAddress! + index * columns, count: columns) }
        case .bf16(let bits):
            bits.withUnsafeBufferPointer { Kernels.widenBF16($0.baseAddress! + index * columns, destination, count: columns) }
        }
    }

    /// y[n, rows] = x[n, columns] · selfᵀ. `widened` is scratch for bf16 matrices multiplied by many rows.
    func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, n: Int, widened: inout GrowableScratch) {
        switch storage {
        case .f32(let values):
            values.withUnsafeBufferPointer { Kernels.matmul(x, $0.baseAddress!, y, n: n, inFeatures: columns, outFeatures: rows) }
        case .bf16(let bits):
            bits.withUnsafeBufferPointer { w in
                if n <= Self.maxRowsForDirectBF16 {
                    Kernels.matmulBF16(x, w.baseAddress!, y, n: n, inFeatures: columns, outFeatures: rows)
                } else {
                    // Many rows: widening once and letting BLAS run the GEMM beats re-reading bf16 per row.
                    let f32 = widened.pointer(atLeast: rows * columns)
                    Kernels.widenBF16(w.baseAddress!, f32, count: rows * columns)
                    Kernels.matmul(x, f32, y, n: n, inFeatures: columns, outFeatures: rows)
                }
            }
        }
    }

    static let maxRowsForDirectBF16 = 4
}
