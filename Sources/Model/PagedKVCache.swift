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

    /// `prefault`: map every page now (see `KVStorage`) rather than when a block on it is first written.
    public init(config: LlamaConfig, numBlocks: Int, blockSize: Int = 16, dtype: KVCacheDType = .f32, prefault: Bool = false) {
        self.numBlocks = numBlocks
        self.blockSize = blockSize
        self.dtype = dtype
        numLayers = config.numLayers
        numKVHeads = config.numKVHeads
        headDim = config.headDim
        let count = numLayers * numBlocks * numKVHeads * blockSize * headDim
        keys = KVStorage(byteCount: count * dtype.bytesPerElement, prefault: prefault)
        values = KVStorage(byteCount: count * dtype.bytesPerElement, prefault: prefault)
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
/// without being written. Lazily, a page costs memory only once a block on it is used, but that first write is a
/// page fault in the middle of a step: in these VMs ~12 µs a 4 KiB page (the host backs it too), a block 180 of
/// them across the layers, which cost a fresh server 14% of its c=16 throughput until every block had been used
/// once (137k faults in the first 48 requests; 509 against 588 tok/s warm). `prefault` maps every page up front
/// instead (MAP_POPULATE, in the kernel at startup), as llama.cpp and vLLM hold their whole KV cache from the start.
final class KVStorage {
    let pointer: UnsafeMutableRawPointer
    let byteCount: Int

    init(byteCount: Int, prefault: Bool = false) {
        self.byteCount = byteCount
        let length = max(byteCount, 1)
        var flags = MAP_PRIVATE | MAP_ANONYMOUS
        #if os(Linux)
        if prefault { flags |= MAP_POPULATE }
        #endif
        guard let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, flags, -1, 0), mapped != MAP_FAILED else {
            fatalError("KV cache: cannot map \(length) bytes (errno \(errno))")
        }
        pointer = mapped
    }

    deinit { munmap(pointer, max(byteCount, 1)) }
}
