import Foundation

/// Key/value storage in fixed-size blocks. A sequence's tokens live in the blocks its block table
/// lists: position p sits in block `blockTable[p / blockSize]`, slot `p % blockSize`.
/// Who owns which block is the caller's business (the Scheduler's block pool).
public final class PagedKVCache {
    public let numBlocks: Int
    public let blockSize: Int
    /// f32 elements, or f16 halves (`UInt16` bit patterns) — see `KVCacheDType`.
    public let dtype: KVCacheDType
    let numLayers: Int
    let numKVHeads: Int
    let headDim: Int
    // [layer][block][kvHead][one tile]: keys [headDim][blockSize], values [blockSize][headDim] (see PagedLayerView),
    // elements of `dtype`.
    let keys: KVStorage
    let values: KVStorage

    public init(config: LlamaConfig, numBlocks: Int, blockSize: Int = 16, dtype: KVCacheDType = .f32) {
        self.numBlocks = numBlocks
        self.blockSize = blockSize
        self.dtype = dtype
        numLayers = config.numLayers
        numKVHeads = config.numKVHeads
        headDim = config.headDim
        let count = numLayers * numBlocks * numKVHeads * blockSize * headDim
        keys = KVStorage(byteCount: count * dtype.bytesPerElement)
        values = KVStorage(byteCount: count * dtype.bytesPerElement)
    }

    /// Bytes of cache one token takes across all layers (K and V) when stored as `dtype`.
    public static func bytesPerToken(_ config: LlamaConfig, dtype: KVCacheDType = .f32) -> Int {
        2 * config.numLayers * config.numKVHeads * config.headDim * dtype.bytesPerElement
    }

    /// Layer `layer`'s slice of the cache.
    func layerView(_ layer: Int) -> PagedLayerView {
        // Element offset of the layer's first tile; the same in f32 and f16, so bytes = offset · element size.
        let offset = layer * numBlocks * numKVHeads * blockSize * headDim * dtype.bytesPerElement
        return PagedLayerView(keys: keys.pointer + offset, values: values.pointer + offset, dtype: dtype,
                              blockSize: blockSize, numKVHeads: numKVHeads, headDim: headDim)
    }
}

/// The zero-initialized bytes of one half (K or V) of the cache: anonymous pages from mmap, page-aligned and zero
/// without being written, so a page costs memory only once a block on it is used. A pool sized for the worst case
/// (`--kv-cache-memory`) then costs resident memory for the tokens actually cached, not for its whole size.
final class KVStorage {
    let pointer: UnsafeMutableRawPointer
    let byteCount: Int

    init(byteCount: Int) {
        self.byteCount = byteCount
        let length = max(byteCount, 1)
        guard let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapped != MAP_FAILED else {
            fatalError("KV cache: cannot map \(length) bytes (errno \(errno))")
        }
        pointer = mapped
    }

    deinit { munmap(pointer, max(byteCount, 1)) }
}
