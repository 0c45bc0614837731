/// How the matrices of a model are stored in memory (`--dtype`). Norm weights and the KV cache stay f32.
public enum WeightFormat: String, CaseIterable, Sendable, Codable {
    /// The checkpoint's bf16 values, exact: the default, matching transformers.
    case bf16
    /// 32-value blocks of int8 with one f16 scale (llama.cpp's Q8_0).
    case q8_0
    /// 32-value blocks of 4-bit ints with one f16 scale (llama.cpp's Q4_0).
    case q4_0
}
