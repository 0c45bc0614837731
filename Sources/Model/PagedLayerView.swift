/// One layer's slice of the paged KV cache. A (block, kvHead) pair owns a contiguous tile of each:
/// keys transposed, [headDim][blockSize], so that scoring a query against a block's keys reads eight keys per
/// vector; values row-major, [blockSize][headDim], so that the weighted sum reads eight dimensions per vector.
struct PagedLayerView {
    let keys: UnsafeMutablePointer<Float>    // [block][kvHead][headDim][blockSize]
    let values: UnsafeMutablePointer<Float>  // [block][kvHead][blockSize][headDim]
    let blockSize: Int
    let numKVHeads: Int
    let headDim: Int

    /// Offset of the (block, kvHead) tile in `keys` and in `values`.
    @inline(__always)
    func tileOffset(block: Int, kvHead: Int) -> Int {
        (block * numKVHeads + kvHead) * blockSize * headDim
    }

    /// Writes one position's key and value ([headDim] each) into its slot.
    @inline(__always)
    func store(key: UnsafePointer<Float>, value: UnsafePointer<Float>, block: Int, kvHead: Int, slot: Int) {
        let tile = tileOffset(block: block, kvHead: kvHead)
        for d in 0..<headDim { keys[tile + d * blockSize + slot] = key[d] }
        (values + tile + slot * headDim).update(from: value, count: headDim)
    }
}
