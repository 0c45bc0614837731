import Dispatch

extension Kernels {
    /// y[n, out] = x[n, in] · wᵀ with w stored as bf16 [out, in]. For the few rows of a decode step
    /// the cost is reading w, so keeping it in bf16 halves the bytes read per token.
    /// The two halves of the output rows run on two threads.
    static func matmulBF16(_ x: UnsafePointer<Float>, _ w: UnsafePointer<UInt16>, _ y: UnsafeMutablePointer<Float>,
                           n: Int, inFeatures: Int, outFeatures: Int) {
        let numChunks = outFeatures >= 256 ? 2 : 1
        let chunk = (outFeatures + numChunks - 1) / numChunks
        let xAddress = UInt(bitPattern: x), wAddress = UInt(bitPattern: w), yAddress = UInt(bitPattern: y)
        DispatchQueue.concurrentPerform(iterations: numChunks) { c in
            // Addresses cross the closure as integers: the pointers are valid for the whole call.
            let x = UnsafePointer<Float>(bitPattern: xAddress)!, w = UnsafePointer<UInt16>(bitPattern: wAddress)!
            let y = UnsafeMutablePointer<Float>(bitPattern: yAddress)!
            let lower = c * chunk, upper = min(outFeatures, lower + chunk)
            for t in 0..<n {
                bf16Rows(x + t * inFeatures, w, y + t * outFeatures, rows: lower..<upper, inFeatures: inFeatures)
            }
        }
    }

    /// y[o] = dot(x, w[o]) for o in `rows`, two weight rows at a time.
    /// Sixteen bf16 weights load as eight u32 lanes: the low halves are the even elements, the high
    /// halves the odd ones, each becoming an f32 by a shift or a mask. So x is split into its even and
    /// odd elements once, and the inner loop is plain 8-lane f32 multiply-adds.
    @inline(__always)
    private static func bf16Rows(_ x: UnsafePointer<Float>, _ w: UnsafePointer<UInt16>, _ y: UnsafeMutablePointer<Float>,
                                 rows: Range<Int>, inFeatures: Int) {
        let numPairs = inFeatures / 2, vectorPairs = numPairs & ~7
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * numPairs) { split in
            let even = split.baseAddress!, odd = even + numPairs
            for k in 0..<numPairs { even[k] = x[2 * k]; odd[k] = x[2 * k + 1] }
            let highMask = SIMD8<UInt32>(repeating: 0xFFFF_0000)
            var o = rows.lowerBound
            while o < rows.upperBound {
                let pair = o + 1 < rows.upperBound
                let w0 = UnsafeRawPointer(w + o * inFeatures), w1 = pair ? w0 + 2 * inFeatures : w0
                var even0 = SIMD8<Float>(), odd0 = SIMD8<Float>(), even1 = SIMD8<Float>(), odd1 = SIMD8<Float>()
                var k = 0
                while k < vectorPairs {
                    let xe = UnsafeRawPointer(even + k).loadUnaligned(as: SIMD8<Float>.self)
                    let xo = UnsafeRawPointer(odd + k).loadUnaligned(as: SIMD8<Float>.self)
                    let v0 = w0.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<UInt32>.self)
                    let v1 = w1.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<UInt32>.self)
                    even0.addProduct(xe, unsafeBitCast(v0 &<< 16, to: SIMD8<Float>.self))
                    odd0.addProduct(xo, unsafeBitCast(v0 & highMask, to: SIMD8<Float>.self))
                    even1.addProduct(xe, unsafeBitCast(v1 &<< 16, to: SIMD8<Float>.self))
                    odd1.addProduct(xo, unsafeBitCast(v1 & highMask, to: SIMD8<Float>.self))
                    k += 8
                }
                var s0 = (even0 + odd0).sum(), s1 = (even1 + odd1).sum()
                let r0 = w + o * inFeatures, r1 = pair ? r0 + inFeatures : r0
                for i in 2 * vectorPairs..<inFeatures {
                    s0 += x[i] * Float(bitPattern: UInt32(r0[i]) << 16)
                    s1 += x[i] * Float(bitPattern: UInt32(r1[i]) << 16)
                }
                y[o] = s0
                if pair { y[o + 1] = s1 }
                o += 2
            }
        }
    }

    /// Widens bf16 [count] to f32, for handing a bf16 matrix to BLAS when many rows share it.
    static func widenBF16(_ source: UnsafePointer<UInt16>, _ destination: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { destination[i] = Float(bitPattern: UInt32(source[i]) << 16) }
    }
}
