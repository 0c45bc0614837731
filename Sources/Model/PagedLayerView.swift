import CKernels

/// One layer's slice of the paged KV cache. A (block, kvHead) pair owns a contiguous tile of each:
/// keys transposed, [headDim][blockSize], so that scoring a query against a block's keys reads eight keys per
/// vector; values row-major, [blockSize][headDim], so that the weighted sum reads eight dimensions per vector.
/// Elements are `dtype`: f32, or f16 halves stored as `UInt16` bit patterns.
struct PagedLayerView {
    let keys: UnsafeMutableRawPointer    // [block][kvHead][headDim][blockSize]
    let values: UnsafeMutableRawPointer  // [block][kvHead][blockSize][headDim]
    let dtype: KVCacheDType
    let blockSize: Int
    let numKVHeads: Int
    let headDim: Int

    init(keys: UnsafeMutableRawPointer, values: UnsafeMutableRawPointer, dtype: KVCacheDType, blockSize: Int, numKVHeads: Int, headDim: Int) {
        self.keys = keys
        self.values = values
        self.dtype = dtype
        self.blockSize = blockSize
        self.numKVHeads = numKVHeads
        self.headDim = headDim
    }

    /// An f32 view over f32 buffers.
    init(keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>, blockSize: Int, numKVHeads: Int, headDim: Int) {
        self.init(keys: UnsafeMutableRawPointer(keys), values: UnsafeMutableRawPointer(values), dtype: .f32,
                  blockSize: blockSize, numKVHeads: numKVHeads, headDim: headDim)
    }

    /// Offset of the (block, kvHead) tile in `keys` and in `values`, in elements.
    @inline(__always)
    func tileOffset(block: Int, kvHead: Int) -> Int {
        (block * numKVHeads + kvHead) * blockSize * headDim
    }

    /// Writes one position's key and value ([headDim] f32 each) into its slot, rounding to f16 here (once) if the
    /// cache holds halves: F16C on the C paths, Swift's `Float16` on the reference path (both round to nearest even,
    /// which KVCacheTests checks).
    @inline(__always)
    func store(key: UnsafePointer<Float>, value: UnsafePointer<Float>, block: Int, kvHead: Int, slot: Int,
               path: KernelPath = .selected) {
        let tile = tileOffset(block: block, kvHead: kvHead)
        switch dtype {
        case .f32:
            let keys = keys.assumingMemoryBound(to: Float.self), values = values.assumingMemoryBound(to: Float.self)
            for d in 0..<headDim { keys[tile + d * blockSize + slot] = key[d] }
            (values + tile + slot * headDim).update(from: value, count: headDim)
        case .f16:
            let keys = keys.assumingMemoryBound(to: UInt16.self), values = values.assumingMemoryBound(to: UInt16.self)
            if path.usesF16C {
                ck_f16_from_f32(key, keys + tile + slot, headDim, blockSize)
                ck_f16_from_f32(value, values + tile + slot * headDim, headDim, 1)
            } else {
                for d in 0..<headDim { keys[tile + d * blockSize + slot] = Float16(key[d]).bitPattern }
                for d in 0..<headDim { values[tile + slot * headDim + d] = Float16(value[d]).bitPattern }
            }
        }
    }
}
