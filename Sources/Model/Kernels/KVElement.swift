/// How the reference kernels read an element of a KV-cache tile (PagedLayerView) as f32: an f32 as it is, an f16
/// half widened exactly. Generic kernels specialize per element, so the f32 reference loops are unchanged.
protocol KVElement {
    /// Element i of the tile.
    static func load(_ tile: UnsafeRawPointer, _ i: Int) -> Float
    /// Elements i..<i+8 of the tile.
    static func load8(_ tile: UnsafeRawPointer, _ i: Int) -> SIMD8<Float>
}

enum F32Element: KVElement {
    @inline(__always)
    static func load(_ tile: UnsafeRawPointer, _ i: Int) -> Float {
        tile.load(fromByteOffset: 4 * i, as: Float.self)
    }

    @inline(__always)
    static func load8(_ tile: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        tile.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
    }
}

/// IEEE f16 halves stored as `UInt16` bit patterns.
enum F16Element: KVElement {
    @inline(__always)
    static func load(_ tile: UnsafeRawPointer, _ i: Int) -> Float {
        Float(Float16(bitPattern: tile.load(fromByteOffset: 2 * i, as: UInt16.self)))
    }

    @inline(__always)
    static func load8(_ tile: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        var lanes = SIMD8<Float>()
        for k in 0..<8 { lanes[k] = load(tile, i + k) }
        return lanes
    }
}
