import CKernels
import Foundation
import XCTest
@testable import Model

/// The f16 KV cache: how values are rounded going in and widened coming out, and what it costs per token.
final class KVCacheTests: XCTestCase {
    /// f32 values where rounding to f16 is decided: every finite half h, the midpoint between h and the next half
    /// (a tie, which must go to the even one), one f32 ulp either side of it, and the ranges past the largest half
    /// (overflow to infinity) and below the smallest subnormal (underflow to zero), with both signs.
    private static func roundingCases() -> [Float] {
        var cases: [Float] = [0, .infinity, 65504, 65519.996, 65520, 1e6, .leastNonzeroMagnitude, 2.98e-8, 2.9802322e-8, 2.99e-8]
        for bits in UInt16(0)..<0x7BFF {
            let low = Float(Float16(bitPattern: bits)), high = Float(Float16(bitPattern: bits + 1))
            let middle = (low + high) / 2  // exact: halves have 11 significant bits, f32 24
            cases += [low, middle, middle.nextDown, middle.nextUp]
        }
        return cases + cases.map { -$0 }
    }

    /// F16C (the C paths' store) rounds exactly as Swift's Float16 (the reference path's store): nearest, ties to
    /// even, overflow to infinity, subnormals kept. If they differed, the paths would hold different caches.
    func testF16CRoundsLikeSwiftFloat16() throws {
        guard KernelPath.avx2.isSupported else { throw XCTSkip("this CPU lacks F16C (the avx2 path)") }
        let values = Self.roundingCases() + [.nan]
        var halves = [UInt16](repeating: 0, count: values.count)
        ck_f16_from_f32(values, &halves, values.count, 1)
        var numMismatches = 0
        for (value, half) in zip(values, halves) where value.isNaN ? !Float16(bitPattern: half).isNaN : half != Float16(value).bitPattern {
            if numMismatches < 5 { XCTFail("\(value): F16C \(half), Float16 \(Float16(value).bitPattern)") }
            numMismatches += 1
        }
        XCTAssertEqual(numMismatches, 0)
        // The strided form (a key's column of its transposed tile) writes the same halves, and only every stride-th slot.
        let stride = 5, count = 67
        var strided = [UInt16](repeating: 0xFFFF, count: count * stride)
        ck_f16_from_f32(values, &strided, count, stride)
        for i in 0..<count * stride { XCTAssertEqual(strided[i], i % stride == 0 ? halves[i / stride] : 0xFFFF, "slot \(i)") }
    }

    /// Widening is exact both ways, for every one of the 65 536 halves.
    func testF16CWidensLikeSwiftFloat16() throws {
        guard KernelPath.avx2.isSupported else { throw XCTSkip("this CPU lacks F16C (the avx2 path)") }
        let halves = (0...UInt16.max).map { $0 }
        var floats = [Float](repeating: 0, count: halves.count)
        ck_f32_from_f16(halves, &floats, halves.count)
        for (half, float) in zip(halves, floats) {
            let expected = Float(Float16(bitPattern: half))
            XCTAssertTrue(expected.isNaN ? float.isNaN : float.bitPattern == expected.bitPattern, "half \(half)")
        }
    }

    /// `store` rounds each element once into the (transposed) key tile and the value tile, on every path.
    func testStoreWritesRoundedHalves() {
        let config = LlamaConfig(vocabSize: 10, hiddenSize: 128, intermediateSize: 16, numLayers: 2, numHeads: 2, numKVHeads: 1)
        let hd = config.headDim, blockSize = 4
        var generator = SeededGenerator(seed: 11)
        let key = (0..<hd).map { _ in Float.random(in: -3...3, using: &generator) }, value = key.map { $0 * 100 + 0.001 }
        for path in KernelPath.testedPaths() {
            let cache = PagedKVCache(config: config, numBlocks: 3, blockSize: blockSize, dtype: .f16)
            let view = cache.layerView(1)
            view.store(key: key, value: value, block: 2, kvHead: 0, slot: 3, path: path)
            let tile = view.tileOffset(block: 2, kvHead: 0)
            let keys = view.keys.assumingMemoryBound(to: UInt16.self), values = view.values.assumingMemoryBound(to: UInt16.self)
            for d in 0..<hd {
                XCTAssertEqual(keys[tile + d * blockSize + 3], Float16(key[d]).bitPattern, "\(path.rawValue) key[\(d)]")
                XCTAssertEqual(values[tile + 3 * hd + d], Float16(value[d]).bitPattern, "\(path.rawValue) value[\(d)]")
            }
            // Nothing else was written: layer 0 and the rest of layer 1 are still zero.
            let total = 2 * 3 * blockSize * hd
            let written = Set((0..<hd).map { total / 2 + tile + $0 * blockSize + 3 })
            for i in 0..<total where !written.contains(i) {
                XCTAssertEqual(cache.keys.pointer.assumingMemoryBound(to: UInt16.self)[i], 0, "\(path.rawValue) key element \(i)")
            }
        }
    }

    /// f16 takes half the bytes per token: 23 040 instead of 46 080 for SmolLM2-135M (30 layers × 3 kv heads × 64).
    /// Pages of `storage` resident now (mincore), of its whole length.
    private func residentPages(_ storage: KVStorage) -> (resident: Int, total: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE))), total = (storage.byteCount + page - 1) / page
        var vector = [UInt8](repeating: 0, count: total)
        XCTAssertEqual(mincore(storage.pointer, storage.byteCount, &vector), 0)
        return (vector.reduce(0) { $0 + Int($1 & 1) }, total)
    }

    /// A prefaulted pool is resident from the start (no page fault in a step); a lazy one only where written.
    func testPrefaultMapsEveryPageUpFront() {
        // 64 blocks × 2 layers × 16 slots × 128 dimensions × 4 bytes: 1 MiB a half, 256 pages.
        let config = LlamaConfig(vocabSize: 10, hiddenSize: 128, intermediateSize: 16, numLayers: 2, numHeads: 1, numKVHeads: 1)
        let eager = PagedKVCache(config: config, numBlocks: 64, prefault: true)
        for storage in [eager.keys, eager.values] {
            let pages = residentPages(storage)
            XCTAssertEqual(pages.resident, pages.total, "prefaulted pages resident")
        }
        let lazy = PagedKVCache(config: config, numBlocks: 64)
        let before = residentPages(lazy.keys)
        XCTAssertLessThan(before.resident, before.total / 2, "a lazy pool is not resident before use")
        lazy.keys.pointer.storeBytes(of: 1, as: UInt8.self)
        XCTAssertGreaterThan(residentPages(lazy.keys).resident, before.resident, "a written page becomes resident")
    }

    func testBytesPerToken() {
        let smol = LlamaConfig(vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536, numLayers: 30, numHeads: 9, numKVHeads: 3)
        XCTAssertEqual(PagedKVCache.bytesPerToken(smol), 46_080)
        XCTAssertEqual(PagedKVCache.bytesPerToken(smol, dtype: .f16), 23_040)
        let cache = PagedKVCache(config: smol, numBlocks: 2, blockSize: 16, dtype: .f16)
        XCTAssertEqual(cache.keys.byteCount + cache.values.byteCount, 2 * 16 * 23_040)
    }
}
