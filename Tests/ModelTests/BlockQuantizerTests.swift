import Foundation
import XCTest
@testable import Model

/// Q8_0 / Q4_0 quantization equals llama.cpp's (gguf-py's, on Tests/Fixtures/quant_golden.json from
/// scripts/make_quant_fixtures.py) byte for byte, and the panel repacking keeps every value.
final class BlockQuantizerTests: XCTestCase {
    struct Golden: Decodable {
        var rows: Int
        var columns: Int
        var input_bits: [UInt32]
        var q8_0: String
        var q4_0: String
    }

    private func hexBytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }

    func testQuantizationMatchesGGUFPyByteForByte() throws {
        let golden = try loadJSON(Golden.self, "quant_golden.json")
        let values = golden.input_bits.map(Float.init(bitPattern:))
        for (format, hex) in [(BlockFormat.q8_0, golden.q8_0), (.q4_0, golden.q4_0)] {
            let expected = hexBytes(hex)
            var blocks: [UInt8] = []
            values.withUnsafeBufferPointer { BlockQuantizer.quantize($0, format: format, into: &blocks) }
            XCTAssertEqual(blocks.count, expected.count, "\(format)")
            let firstDifference = zip(blocks, expected).enumerated().first { $0.element.0 != $0.element.1 }
            XCTAssertNil(firstDifference, "\(format): first differing byte \(firstDifference.map { "at \($0.offset): \($0.element.0) vs gguf-py \($0.element.1)" } ?? "")")
            // The panels hold the same blocks: packing and unpacking is the identity (24 rows: one full panel, one padded).
            let panels = values.withUnsafeBufferPointer { QuantizedPanels(quantizing: $0, rows: golden.rows, columns: golden.columns, format: format) }
            XCTAssertEqual(panels.llamaBlocks(), expected, "\(format) panels")
        }
    }

    /// Literal cases of the rounding rules, independent of the fixture.
    func testRoundingRules() {
        // Q8_0, amax 127 → d = 1: 0.5 and −2.5 are exact halves and round away from zero (roundf), not to even.
        var x = [Float](repeating: 0, count: 32)
        x[0] = 127; x[1] = 0.5; x[2] = -2.5; x[3] = 1.5
        var q8: [UInt8] = []
        x.withUnsafeBufferPointer { BlockQuantizer.quantize($0, format: .q8_0, into: &q8) }
        XCTAssertEqual(Array(q8[0..<2]), [0x00, 0x3C])   // f16 1.0
        XCTAssertEqual(q8[2..<6].map { Int8(bitPattern: $0) }, [127, 1, -3, 2])
        // Q4_0: the first largest magnitude (−4, before +4) sets d = −4 / −8 = 0.5; −4 → 0, +4 → 16 clamped to 15.
        var y = [Float](repeating: 0, count: 32)
        y[0] = -4; y[1] = 4; y[16] = 1
        var q4: [UInt8] = []
        y.withUnsafeBufferPointer { BlockQuantizer.quantize($0, format: .q4_0, into: &q4) }
        XCTAssertEqual(Array(q4[0..<2]), [0x00, 0x38])   // f16 0.5
        XCTAssertEqual(q4[2], 0x0 | 0xA << 4)              // x[0] = −4 → −8 + 8.5 → 0; x[16] = 1 → 1 · 2 + 8.5 = 10.5 → 10
        XCTAssertEqual(q4[3], 0xF | 0x8 << 4)              // x[1] = 4 → 8 + 8.5 = 16.5 → 16, clamped to 15; x[17] = 0 → 8
    }

    /// Dequantized rows (the embedding lookup) are d · q of llama.cpp's blocks.
    func testCopyRowDequantizes() throws {
        let golden = try loadJSON(Golden.self, "quant_golden.json")
        let values = golden.input_bits.map(Float.init(bitPattern:))
        let panels = values.withUnsafeBufferPointer { QuantizedPanels(quantizing: $0, rows: golden.rows, columns: golden.columns, format: .q8_0) }
        let blocks = hexBytes(golden.q8_0)
        var row = [Float](repeating: 0, count: golden.columns)
        for r in [0, 1, 17, 23] {
            row.withUnsafeMutableBufferPointer { panels.copyRow(r, to: $0.baseAddress!) }
            for c in 0..<golden.columns {
                let block = (r * golden.columns + c) / 32 * 34
                let d = Float(Float16(bitPattern: UInt16(blocks[block]) | UInt16(blocks[block + 1]) << 8))
                XCTAssertEqual(row[c], d * Float(Int8(bitPattern: blocks[block + 2 + c % 32])), "row \(r) column \(c)")
            }
        }
    }
}
