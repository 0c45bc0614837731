import Dispatch

extension Kernels {
    /// y[n, out] = x[n, in] · wᵀ with w stored as bf16 [out, in]. For the few rows of a decode step
    /// the cost is streaming w, so bf16 halves the bytes, and up to `bf16TileRows` x rows share each weight load.
    /// The two halves of the output rows run on two threads.
    static func matmulBF16(_ x: UnsafePointer<Float>, _ w: UnsafePointer<UInt16>, _ y: UnsafeMutablePointer<Float>,
                           n: Int, inFeatures: Int, outFeatures: Int) {
        precondition(inFeatures % 2 == 0, "bf16 kernel needs an even inner dimension")
        let numChunks = outFeatures >= 256 ? 2 : 1
        let chunk = (outFeatures + numChunks - 1) / numChunks
        let xAddress = UInt(bitPattern: x), wAddress = UInt(bitPattern: w), yAddress = UInt(bitPattern: y)
        DispatchQueue.concurrentPerform(iterations: numChunks) { c in
            // Addresses cross the closure as integers: the pointers are valid for the whole call.
            let x = UnsafePointer<Float>(bitPattern: xAddress)!, w = UnsafePointer<UInt16>(bitPattern: wAddress)!
            let y = UnsafeMutablePointer<Float>(bitPattern: yAddress)!
            let rows = c * chunk..<min(outFeatures, (c + 1) * chunk)
            var t = 0
            while t < n {
                // Eight rows per weight load halves the weight traffic of big decode batches; below that,
                // split even/odd accumulators keep enough independent FMA chains in flight.
                if n - t > Self.bf16TileRows {
                    let tile = min(2 * Self.bf16TileRows, n - t)
                    bf16WideTile(x + t * inFeatures, w, y + t * outFeatures, numX: tile, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
                    t += tile
                } else {
                    let tile = min(Self.bf16TileRows, n - t)
                    bf16Tile(x + t * inFeatures, w, y + t * outFeatures, numX: tile, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
                    t += tile
                }
            }
        }
    }

    /// x rows that share each weight load: 2 · 4 accumulators + 2 weight vectors + one x vector fit in 16 AVX registers.
    static let bf16TileRows = 4

    /// y[t, o] = dot(x[t], w[o]) for up to `bf16TileRows` x rows t and o in `rows`.
    /// Sixteen bf16 weights load as eight u32 lanes: the low halves are the even elements, the high
    /// halves the odd ones, each becoming an f32 by a shift or a mask. So x is split into its even and
    /// odd elements once, and the inner loop is plain 8-lane f32 fused multiply-adds.
    @inline(__always)
    private static func bf16Tile(_ x: UnsafePointer<Float>, _ w: UnsafePointer<UInt16>, _ y: UnsafeMutablePointer<Float>,
                                 numX: Int, rows: Range<Int>, inFeatures: Int, outFeatures: Int) {
        let numPairs = inFeatures / 2, vectorPairs = numPairs & ~7
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * bf16TileRows * numPairs) { split in
            let base = split.baseAddress!
            splitEvenOdd(x, numX: numX, inFeatures: inFeatures, into: base)
            let highMask = SIMD8<UInt32>(repeating: 0xFFFF_0000)
            for o in rows {
                let row = UnsafeRawPointer(w + o * inFeatures)
                // Separate even and odd accumulators: two independent FMA chains per x row.
                var even = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
                var odd = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
                var k = 0
                while k < vectorPairs {
                    let bits = row.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<UInt32>.self)
                    let wEven = unsafeBitCast(bits &<< 16, to: SIMD8<Float>.self)
                    let wOdd = unsafeBitCast(bits & highMask, to: SIMD8<Float>.self)
                    @inline(__always) func accumulate(_ e: inout SIMD8<Float>, _ o: inout SIMD8<Float>, _ t: Int) {
                        let x = UnsafeRawPointer(base + 2 * t * numPairs + k)
                        e.addProduct(x.loadUnaligned(as: SIMD8<Float>.self), wEven)
                        o.addProduct((x + 4 * numPairs).loadUnaligned(as: SIMD8<Float>.self), wOdd)
                    }
                    accumulate(&even.0, &odd.0, 0)
                    if numX > 1 { accumulate(&even.1, &odd.1, 1) }
                    if numX > 2 { accumulate(&even.2, &odd.2, 2) }
                    if numX > 3 { accumulate(&even.3, &odd.3, 3) }
                    k += 8
                }
                let sums = SIMD8<Float>((even.0 + odd.0).sum(), (even.1 + odd.1).sum(), (even.2 + odd.2).sum(), (even.3 + odd.3).sum(),
                                        0, 0, 0, 0)
                finishRow(o, sums: sums, split: base, w: w, y: y, numX: numX, inFeatures: inFeatures, outFeatures: outFeatures)
            }
        }
    }

    /// Like `bf16Tile` for five to eight x rows, one accumulator per row (eight chains are enough).
    @inline(__always)
    private static func bf16WideTile(_ x: UnsafePointer<Float>, _ w: UnsafePointer<UInt16>, _ y: UnsafeMutablePointer<Float>,
                                     numX: Int, rows: Range<Int>, inFeatures: Int, outFeatures: Int) {
        let numPairs = inFeatures / 2, vectorPairs = numPairs & ~7
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * bf16TileRows * numPairs) { split in
            let base = split.baseAddress!
            splitEvenOdd(x, numX: numX, inFeatures: inFeatures, into: base)
            let highMask = SIMD8<UInt32>(repeating: 0xFFFF_0000)
            for o in rows {
                let row = UnsafeRawPointer(w + o * inFeatures)
                var acc = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(),
                           SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
                var k = 0
                while k < vectorPairs {
                    let bits = row.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<UInt32>.self)
                    let wEven = unsafeBitCast(bits &<< 16, to: SIMD8<Float>.self)
                    let wOdd = unsafeBitCast(bits & highMask, to: SIMD8<Float>.self)
                    @inline(__always) func accumulate(_ a: inout SIMD8<Float>, _ t: Int) {
                        let x = UnsafeRawPointer(base + 2 * t * numPairs + k)
                        a.addProduct(x.loadUnaligned(as: SIMD8<Float>.self), wEven)
                        a.addProduct((x + 4 * numPairs).loadUnaligned(as: SIMD8<Float>.self), wOdd)
                    }
                    accumulate(&acc.0, 0); accumulate(&acc.1, 1); accumulate(&acc.2, 2); accumulate(&acc.3, 3)
                    accumulate(&acc.4, 4)
                    if numX > 5 { accumulate(&acc.5, 5) }
                    if numX > 6 { accumulate(&acc.6, 6) }
                    if numX > 7 { accumulate(&acc.7, 7) }
                    k += 8
                }
                let sums = SIMD8<Float>(acc.0.sum(), acc.1.sum(), acc.2.sum(), acc.3.sum(),
                                        acc.4.sum(), acc.5.sum(), acc.6.sum(), acc.7.sum())
                finishRow(o, sums: sums, split: base, w: w, y: y, numX: numX, inFeatures: inFeatures, outFeatures: outFeatures)
            }
        }
    }

    /// Copies up to eight x rows into `split`: row t's even elements at [2t · inFeatures/2], its odd ones right after.
    @inline(__always)
    private static func splitEvenOdd(_ x: UnsafePointer<Float>, numX: Int, inFeatures: Int, into split: UnsafeMutablePointer<Float>) {
        let numPairs = inFeatures / 2
        for t in 0..<numX {
            let source = x + t * inFeatures
            let even = split + 2 * t * numPairs, odd = even + numPairs
            for k in 0..<numPairs { even[k] = source[2 * k]; odd[k] = source[2 * k + 1] }
        }
    }

    /// Adds the pairs past the last full vector (inFeatures not a multiple of 16) and stores y[t, o].
    @inline(__always)
    private static func finishRow(_ o: Int, sums: SIMD8<Float>, split: UnsafeMutablePointer<Float>, w: UnsafePointer<UInt16>,
                                  y: UnsafeMutablePointer<Float>, numX: Int, inFeatures: Int, outFeatures: Int) {
        let numPairs = inFeatures / 2
        var sums = sums
        let weights = w + o * inFeatures
        for pair in (numPairs & ~7)..<numPairs {
            let wEven = Float(bitPattern: UInt32(weights[2 * pair]) << 16)
            let wOdd = Float(bitPattern: UInt32(weights[2 * pair + 1]) << 16)
            for t in 0..<numX {
                sums[t] += split[2 * t * numPairs + pair] * wEven + split[(2 * t + 1) * numPairs + pair] * wOdd
            }
        }
        for t in 0..<numX { y[t * outFeatures + o] = sums[t] }
    }

    /// Widens bf16 [count] to f32.
    static func widenBF16(_ source: UnsafePointer<UInt16>, _ destination: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { destination[i] = Float(bitPattern: UInt32(source[i]) << 16) }
    }
}
