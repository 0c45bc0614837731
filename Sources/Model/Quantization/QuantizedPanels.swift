import CKernels

/// A [rows, columns] matrix of llama.cpp blocks (`BlockFormat`) repacked for the quantized GEMM: panels of 16
/// output rows, and within a panel, block b (input columns 32b ..< 32b + 32) is
///
///     16 f16 scales (row j at bytes 2j, 2j + 1)
///     then groups g of 64 bytes: row j's 4 bytes at 64g + 4j
///         Q8_0: g in 0..<8, bytes = q[32b + 4g ..< 32b + 4g + 4] of row j
///         Q4_0: g in 0..<4, bytes = llama.cpp's qs[4g ..< 4g + 4] of row j (low nibbles: columns 32b + 4g + t,
///               high nibbles: columns 32b + 16 + 4g + t)
///
/// so one 64-byte load (or two 32-byte ones) holds 4 consecutive inputs of all 16 rows, one 32-bit lane per row:
/// vpdpbusd/vpmaddubsw against 4 broadcast activation bytes then leave row j's dot in lane j, with no horizontal sums.
/// The values are exactly llama.cpp's; only their order changes. The last panel is padded with zero rows.
public struct QuantizedPanels: Sendable, Equatable {
    public static let panelRows = Int(CQ_PANEL_ROWS)
    public let format: BlockFormat
    public let rows: Int
    public let columns: Int
    let bytes: [UInt8]   // [numPanels][columns / 32][panelBlockBytes]

    var numPanels: Int { (rows + Self.panelRows - 1) / Self.panelRows }
    var numBlocks: Int { columns / BlockFormat.blockSize }
    /// Bytes of one block of one panel: 16 scales and 16 rows of quants.
    var panelBlockBytes: Int { format == .q8_0 ? Int(CQ_Q8_0_PANEL_BLOCK_BYTES) : Int(CQ_Q4_0_PANEL_BLOCK_BYTES) }
    /// Bytes of one row's quants in a block (32 int8 or 16 bytes of nibbles).
    private var quantBytes: Int { format.blockBytes - 2 }

    /// Quantizes row-major f32 values [rows, columns] (columns a multiple of 32).
    public init(quantizing values: UnsafeBufferPointer<Float>, rows: Int, columns: Int, format: BlockFormat) {
        precondition(values.count == rows * columns, "\(values.count) values is not [\(rows), \(columns)]")
        var blocks: [UInt8] = []
        BlockQuantizer.quantize(values, format: format, into: &blocks)
        self.init(llamaBlocks: blocks, rows: rows, columns: columns, format: format)
    }

    /// Repacks blocks in llama.cpp's layout ([rows][columns / 32] blocks, as in a GGUF tensor).
    public init(llamaBlocks blocks: [UInt8], rows: Int, columns: Int, format: BlockFormat) {
        precondition(columns % BlockFormat.blockSize == 0, "\(columns) columns is not a whole number of 32-value blocks")
        precondition(blocks.count == rows * columns / BlockFormat.blockSize * format.blockBytes, "block bytes do not fit [\(rows), \(columns)]")
        self.format = format
        self.rows = rows
        self.columns = columns
        let numBlocks = columns / BlockFormat.blockSize, numPanels = (rows + Self.panelRows - 1) / Self.panelRows
        let panelBlockBytes = format == .q8_0 ? Int(CQ_Q8_0_PANEL_BLOCK_BYTES) : Int(CQ_Q4_0_PANEL_BLOCK_BYTES)
        let quantBytes = format.blockBytes - 2
        var packed = [UInt8](repeating: 0, count: numPanels * numBlocks * panelBlockBytes)
        for row in 0..<rows {
            let p = row / Self.panelRows, j = row % Self.panelRows
            for b in 0..<numBlocks {
                let source = (row * numBlocks + b) * format.blockBytes, destination = (p * numBlocks + b) * panelBlockBytes
                packed[destination + 2 * j] = blocks[source]
                packed[destination + 2 * j + 1] = blocks[source + 1]
                for m in 0..<quantBytes {
                    packed[destination + 32 + 64 * (m / 4) + 4 * j + m % 4] = blocks[source + 2 + m]
                }
            }
        }
        bytes = packed
    }

    /// Already-packed bytes (from the cache file); nil if the count does not fit the shape.
    init?(packed: [UInt8], rows: Int, columns: Int, format: BlockFormat) {
        self.format = format
        self.rows = rows
        self.columns = columns
        bytes = packed
        guard columns % BlockFormat.blockSize == 0, packed.count == numPanels * numBlocks * panelBlockBytes else { return nil }
    }

    /// The blocks back in llama.cpp's layout (tests compare them with gguf-py's).
    public func llamaBlocks() -> [UInt8] {
        var blocks = [UInt8](repeating: 0, count: rows * numBlocks * format.blockBytes)
        for row in 0..<rows {
            let p = row / Self.panelRows, j = row % Self.panelRows
            for b in 0..<numBlocks {
                let destination = (row * numBlocks + b) * format.blockBytes, source = (p * numBlocks + b) * panelBlockBytes
                blocks[destination] = bytes[source + 2 * j]
                blocks[destination + 1] = bytes[source + 2 * j + 1]
                for m in 0..<quantBytes { blocks[destination + 2 + m] = bytes[source + 32 + 64 * (m / 4) + 4 * j + m % 4] }
            }
        }
        return blocks
    }

    /// The f16 scale of `row`'s block `b`.
    @inline(__always)
    func scale(_ panelBlock: UnsafePointer<UInt8>, row j: Int) -> Float {
        Float(Float16(bitPattern: UInt16(panelBlock[2 * j]) | UInt16(panelBlock[2 * j + 1]) << 8))
    }

    /// The quantized value of row j (within its panel), column c (within its block), in a panel block.
    @inline(__always)
    func quant(_ panelBlock: UnsafePointer<UInt8>, row j: Int, column c: Int) -> Int32 {
        switch format {
        case .q8_0:
            return Int32(Int8(bitPattern: panelBlock[32 + 64 * (c / 4) + 4 * j + c % 4]))
        case .q4_0:
            let m = c % 16, byte = panelBlock[32 + 64 * (m / 4) + 4 * j + m % 4]
            return Int32(c < 16 ? byte & 0x0F : byte >> 4) - 8
        }
    }

    /// Row `index` dequantized to f32 (d · q, as llama.cpp's dequantize_row_*): the embedding lookup.
    func copyRow(_ index: Int, to destination: UnsafeMutablePointer<Float>) {
        let p = index / Self.panelRows, j = index % Self.panelRows
        bytes.withUnsafeBufferPointer { bytes in
            for b in 0..<numBlocks {
                let block = bytes.baseAddress! + (p * numBlocks + b) * panelBlockBytes
                let d = scale(block, row: j)
                for c in 0..<BlockFormat.blockSize {
                    destination[BlockFormat.blockSize * b + c] = d * Float(quant(block, row: j, column: c))
                }
            }
        }
    }

    /// Bytes in memory (the point of the format: what a decode step streams).
    public var byteCount: Int { bytes.count }
}
