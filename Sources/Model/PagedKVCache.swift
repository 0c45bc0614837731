/// Key/value storage in fixed-size blocks. A sequence's tokens live in the blocks its block table
/// lists: position p sits in block `blockTable[p / blockSize]`, slot `p % blockSize`.
/// Who owns which block is the caller's business (the Scheduler's block allocator).
public final class PagedKVCache {
    public let numBlocks: Int
    public let blockSize: Int
    let numLayers: Int
    let numKVHeads: Int
    let headDim: Int
    // [layer][block][kvHead][one tile]: keys [headDim][blockSize], values [blockSize][headDim] (see PagedLayerView).
    let keys: FloatBuffer
    let values: FloatBuffer

    public init(config: LlamaConfig, numBlocks: Int, blockSize: Int = 16) {
        self.numBlocks = numBlocks
        self.blockSize = blockSize
        numLayers = config.numLayers
        numKVHeads = config.numKVHeads
        headDim = config.headDim
        let count = numLayers * numBlocks * numKVHeads * blockSize * headDim
        keys = FloatBuffer(count: count)
        values = FloatBuffer(count: count)
    }

    /// Bytes of cache one token takes across all layers (K and V).
    public static func bytesPerToken(_ config: LlamaConfig) -> Int {
        2 * config.numLayers * config.numKVHeads * config.headDim * MemoryLayout<Float>.size
    }

    /// Where layer `layer`'s part of `keys` / `values` starts.
    @inline(__always)
    func layerOffset(_ layer: Int) -> Int {
        layer * numBlocks * numKVHeads * blockSize * headDim
    }
}
