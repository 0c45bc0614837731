/// A fixed-size, zero-initialized f32 buffer for mutable inference state (KV cache, scratch).
/// Owned by one thread: it hands out raw pointers so hot loops neither copy nor check uniqueness.
final class FloatBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }
}

/// Scratch that grows to the largest size asked of it, so steady-state steps allocate nothing.
struct GrowableScratch {
    private(set) var buffer = FloatBuffer(count: 0)

    mutating func pointer(atLeast count: Int) -> UnsafeMutablePointer<Float> {
        if buffer.count < count { buffer = FloatBuffer(count: max(count, buffer.count * 3 / 2)) }
        return buffer.pointer
    }
}
