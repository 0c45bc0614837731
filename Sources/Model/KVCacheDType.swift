/// How the paged KV cache stores keys and values.
///
/// `f32` (default) keeps the forward pass within 1e-3 of transformers' logits. `f16` (IEEE half, rounded to nearest
/// even once, when a position's K/V is written) halves the cache: twice the tokens in the same memory and half the
/// bytes decode attention reads per token. It moves logits by a few hundredths (greedy output measured identical on
/// our fixtures), beyond the default's tolerance, so it is opt-in — like llama.cpp's `--cache-type-k` or vLLM's
/// `kv_cache_dtype`. Attention itself still runs in f32: halves are widened as they are read.
public enum KVCacheDType: String, CaseIterable, Sendable, Codable {
    case f32
    case f16

    /// Bytes of one stored key or value element.
    public var bytesPerElement: Int {
        switch self {
        case .f32: MemoryLayout<Float>.size
        case .f16: MemoryLayout<UInt16>.size
        }
    }
}
