extension Kernels {
    /// e^x for eight lanes: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial, 2^n through the
    /// exponent bits. Relative error ≈ 2e-7 (about libm's expf). Inputs are clamped to [-87, 88], so very
    /// negative x gives ~1e-38 rather than 0 (harmless in a softmax). Written with bit tricks only: the
    /// generic float/int conversions of SIMD types are not inlined and would dominate.
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // `replace(with:where:)` rather than pointwiseMin/Max: those are not inlined (a call per use), this is vminps/vmaxps.
        var clamped = x
        clamped.replace(with: SIMD8(repeating: 88), where: clamped .> 88)
        clamped.replace(with: SIMD8(repeating: -87), where: clamped .< -87)
        // Adding 1.5·2^23 rounds to an integer, which then sits in the low mantissa bits.
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = clamped * 1.442_695_04 + magic
        let n = shifted - magic
        // r = x - n·ln2, with ln2 split in two for precision.
        let r = clamped - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_6e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5e-1
        p = p * r * r + r + 1
        let integer = unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((integer &+ 127) &<< 23, to: SIMD8<Float>.self)
        return p * scale
    }
}
