/// llama.cpp's 32-value block formats, in its own byte layout (one block after another along a row):
/// - Q8_0: f16 scale d (little-endian), then 32 int8 q;              value = d · q
/// - Q4_0: f16 scale d, then 16 bytes: byte m = (q[m] + 8) | (q[m + 16] + 8) << 4; value = d · q, q in −8…7
public enum BlockFormat: String, Sendable, CaseIterable {
    case q8_0
    case q4_0

    public static let blockSize = 32

    /// Bytes of one block in llama.cpp's layout (`block_q8_0`, `block_q4_0`).
    public var blockBytes: Int { self == .q8_0 ? 34 : 18 }
}

/// Quantization with the semantics of llama.cpp's reference quantizers (ggml-quants.c `quantize_row_q8_0_ref`,
/// `quantize_row_q4_0_ref`; gguf-py's `Q8_0`/`Q4_0.quantize_blocks` are bit-exact numpy versions of them), so a
/// model quantized here holds the same values as llama-quantize's Q8_0/Q4_0 of the same checkpoint.
/// Tests/Fixtures/quant_golden.json, made by scripts/make_quant_fixtures.py with gguf-py, checks it byte for byte.
public enum BlockQuantizer {
    /// Quantizes `values` (a multiple of 32) into `format` blocks appended to `out`.
    public static func quantize(_ values: UnsafeBufferPointer<Float>, format: BlockFormat, into out: inout [UInt8]) {
        precondition(values.count % BlockFormat.blockSize == 0, "\(values.count) values is not a whole number of 32-value blocks")
        out.reserveCapacity(out.count + values.count / BlockFormat.blockSize * format.blockBytes)
        for start in stride(from: 0, to: values.count, by: BlockFormat.blockSize) {
            let block = UnsafeBufferPointer(rebasing: values[start..<start + BlockFormat.blockSize])
            switch format {
            case .q8_0: appendQ8_0(block, to: &out)
            case .q4_0: appendQ4_0(block, to: &out)
            }
        }
    }

    /// d = max|x| / 127, q = roundf(x / d): round half away from zero, as C's roundf (and gguf-py's np_roundf).
    /// The quotient is x · (1/d) in f32, not x / d: llama.cpp multiplies by the inverse, and the results differ.
    static func appendQ8_0(_ x: UnsafeBufferPointer<Float>, to out: inout [UInt8]) {
        var amax: Float = 0
        for v in x { amax = max(amax, abs(v)) }
        let d = amax / 127
        let inverse: Float = d != 0 ? 1 / d : 0
        appendScale(d, to: &out)
        for v in x { out.append(UInt8(bitPattern: Int8((v * inverse).rounded(.toNearestOrAwayFromZero)))) }
    }

    /// d = m / −8 where m is the value of largest magnitude (the first one on ties), so m itself maps to −8 and the
    /// other side reaches +7 at most; q = min(15, trunc(x / d + 8.5)) stored biased by 8.
    static func appendQ4_0(_ x: UnsafeBufferPointer<Float>, to out: inout [UInt8]) {
        var amax: Float = 0, m: Float = 0
        for v in x where amax < abs(v) { amax = abs(v); m = v }
        let d = m / -8
        let inverse: Float = d != 0 ? 1 / d : 0
        appendScale(d, to: &out)
        let half = BlockFormat.blockSize / 2
        for j in 0..<half {
            let low = min(15, Int(x[j] * inverse + 8.5)), high = min(15, Int(x[j + half] * inverse + 8.5))
            out.append(UInt8(low | high << 4))
        }
    }

    /// f32 → f16 rounded to nearest even (GGML_FP32_TO_FP16, numpy's astype(float16)), little-endian.
    private static func appendScale(_ d: Float, to out: inout [UInt8]) {
        let bits = Float16(d).bitPattern
        out.append(UInt8(bits & 0xFF))
        out.append(UInt8(bits >> 8))
    }
}
