import Foundation
import XCTest
@testable import Model

/// The quantized-weights cache beside a model: a reload reads it and gives identical matrices, a changed checkpoint
/// gets a new cache entry, and a damaged file is rebuilt. On a copy of the tiny fixture model in a temporary directory.
final class QuantizedCacheTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("quant-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: Paths.fixtures.appendingPathComponent("tiny-llama/\(name)"), to: directory.appendingPathComponent(name))
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    private var cacheFiles: [URL] {
        let folder = directory.appendingPathComponent(".quantized")
        return ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "bin" }.sorted { $0.path < $1.path }
    }

    private func inode(_ url: URL) throws -> UInt64 {
        try (FileManager.default.attributesOfItem(atPath: url.path)[.systemFileNumber] as! NSNumber).uint64Value
    }

    /// Every matrix's quantized panels (nil for one kept unquantized), in load order.
    private func panels(_ model: LlamaModel) -> [QuantizedPanels?] {
        let w = model.weights
        return ([w.embedding] + w.layers.flatMap { [$0.qkv, $0.output, $0.gateUp, $0.down] }).map {
            if case .quantized(let panels) = $0.storage { return panels }
            return nil
        }
    }

    func testReloadReadsTheCacheAndGivesIdenticalMatrices() throws {
        for format in [WeightFormat.q4_0, .q8_0] {
            let built = try LlamaModel(directory: directory, format: format)
            let file = try XCTUnwrap(cacheFiles.first { $0.lastPathComponent.hasPrefix(format.rawValue + "-") })
            let before = try inode(file)
            let reloaded = try LlamaModel(directory: directory, format: format)
            XCTAssertEqual(try inode(file), before, "\(format): the reload rewrote the cache instead of reading it")
            XCTAssertEqual(panels(reloaded), panels(built), "\(format)")
            // Which matrices are quantized how: q4_0 keeps the tied embedding/LM head in Q8_0; the tiny model's down
            // projection (80 inputs, not whole 32-value blocks) stays unquantized.
            let formats = panels(built).map { $0?.format }
            XCTAssertEqual(formats[0], .q8_0)
            XCTAssertEqual(formats[1], format == .q4_0 ? .q4_0 : .q8_0)
            XCTAssertNil(formats[4])
        }
        XCTAssertEqual(cacheFiles.count, 2)
    }

    func testChangedCheckpointGetsNewEntry() throws {
        let original = panels(try LlamaModel(directory: directory, format: .q8_0))
        XCTAssertEqual(cacheFiles.count, 1)
        // Change the first f32 weight of the embedding (a quantized matrix): a different checkpoint.
        let url = directory.appendingPathComponent("model.safetensors")
        let embedding = try XCTUnwrap(SafeTensorsFile(path: url.path).tensors["model.embed_tokens.weight"])
        XCTAssertEqual(embedding.dtype, .f32)
        var data = try Data(contentsOf: url)
        let headerLength = Int(data.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let offset = 8 + headerLength + embedding.byteRange.lowerBound
        let value = data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Float.self) }
        withUnsafeBytes(of: value * 4 + 1) { data.replaceSubrange(offset..<offset + 4, with: $0) }
        try data.write(to: url)
        let changed = panels(try LlamaModel(directory: directory, format: .q8_0))
        XCTAssertEqual(cacheFiles.count, 2, "a changed checkpoint must not reuse the old entry")
        XCTAssertTrue(changed[0] != original[0], "the embedding was not requantized from the changed checkpoint")
    }

    func testDamagedCacheIsRebuilt() throws {
        let original = panels(try LlamaModel(directory: directory, format: .q4_0))
        let file = try XCTUnwrap(cacheFiles.first)
        let intact = try Data(contentsOf: file)
        for damage in ["truncated", "flipped byte"] {
            var bytes = intact
            if damage == "truncated" { bytes = bytes.prefix(bytes.count / 2) } else { bytes[bytes.count / 2] ^= 0x40 }
            try bytes.write(to: file)
            XCTAssertEqual(panels(try LlamaModel(directory: directory, format: .q4_0)), original, damage)
            XCTAssertEqual(try Data(contentsOf: file), intact, "\(damage): the cache was not rebuilt")
        }
    }
}
