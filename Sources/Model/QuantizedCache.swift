import CKernels
import Foundation

/// Quantized matrices saved beside the model, so only the first start with a format pays for quantizing:
/// `<model dir>/.quantized/<format>-<hash>.bin`, where hash is `cq_hash64` of the whole safetensors file. A changed
/// checkpoint has a different name, so it is never served stale. Written to a temporary file and renamed, so a
/// reader never sees half a file; a file that is short, corrupt (its checksum disagrees) or of another layout
/// version reads as absent and is rebuilt.
///
/// File: "SLQW", u32 version, u64 source hash, u32 count, then count entries (u32 name length, name, u32 block
/// format, u64 rows, u64 columns, u64 byte count, the packed bytes of `QuantizedPanels`), then u64 checksum of all
/// before it. Little-endian.
struct QuantizedWeightCache {
    struct Miss: Error {}

    /// Bump when `QuantizedPanels`' layout or the quantization changes.
    static let version: UInt32 = 1
    static let magic = Array("SLQW".utf8)

    let url: URL
    let sourceHash: UInt64

    init(modelDirectory: URL, format: WeightFormat, sourcePath: String) throws {
        sourceHash = try Self.hashFile(sourcePath)
        url = modelDirectory.appendingPathComponent(".quantized")
            .appendingPathComponent("\(format.rawValue)-\(String(sourceHash, radix: 16, uppercase: false)).bin")
    }

    /// The key of a matrix made of these tensors.
    static func key(_ names: [String]) -> String { names.joined(separator: "+") }

    /// `cq_hash64` of a whole file, read through a memory map (a 270 MB checkpoint in ~0.1 s when cached by the OS).
    static func hashFile(_ path: String) throws -> UInt64 {
        let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        return data.withUnsafeBytes { cq_hash64($0.baseAddress, UInt64($0.count), 0) }
    }

    /// The stored matrices by key, or nil if there is no usable file.
    func read() -> [String: QuantizedPanels]? {
        guard let data = try? Data(contentsOf: url, options: .alwaysMapped), data.count >= 28 else { return nil }
        return data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> [String: QuantizedPanels]? in
            let bodyCount = raw.count - 8
            guard raw.loadUnaligned(fromByteOffset: bodyCount, as: UInt64.self).littleEndian == cq_hash64(raw.baseAddress, UInt64(bodyCount), 0)
            else { return nil }
            var reader = Reader(raw: UnsafeRawBufferPointer(rebasing: raw[0..<bodyCount]))
            guard let magic = reader.bytes(4), Array(magic) == Self.magic, reader.u32() == Self.version,
                  reader.u64() == sourceHash, let count = reader.u32() else { return nil }
            var matrices: [String: QuantizedPanels] = [:]
            for _ in 0..<count {
                guard let nameLength = reader.u32(), let name = reader.bytes(Int(nameLength)), let formatIndex = reader.u32(),
                      Int(formatIndex) < BlockFormat.allCases.count, let rows = reader.u64(), let columns = reader.u64(),
                      let byteCount = reader.u64(), let bytes = reader.bytes(Int(byteCount)),
                      let panels = QuantizedPanels(packed: Array(bytes), rows: Int(rows), columns: Int(columns),
                                                   format: BlockFormat.allCases[Int(formatIndex)])
                else { return nil }
                matrices[String(decoding: name, as: UTF8.self)] = panels
            }
            return reader.isAtEnd ? matrices : nil
        }
    }

    func write(_ matrices: [(String, QuantizedPanels)]) throws {
        var out = Data()
        out.append(contentsOf: Self.magic)
        out.appendLittleEndian(Self.version)
        out.appendLittleEndian(sourceHash)
        out.appendLittleEndian(UInt32(matrices.count))
        for (name, panels) in matrices {
            let nameBytes = Array(name.utf8)
            out.appendLittleEndian(UInt32(nameBytes.count))
            out.append(contentsOf: nameBytes)
            out.appendLittleEndian(UInt32(BlockFormat.allCases.firstIndex(of: panels.format)!))
            out.appendLittleEndian(UInt64(panels.rows))
            out.appendLittleEndian(UInt64(panels.columns))
            out.appendLittleEndian(UInt64(panels.bytes.count))
            out.append(contentsOf: panels.bytes)
        }
        out.appendLittleEndian(out.withUnsafeBytes { cq_hash64($0.baseAddress, UInt64($0.count), 0) })
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        try out.write(to: temporary)
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "rename to \(url.path): \(reason)"])
        }
    }

    /// Bounds-checked little-endian reads; nil past the end.
    private struct Reader {
        let raw: UnsafeRawBufferPointer
        var offset = 0
        var isAtEnd: Bool { offset == raw.count }

        mutating func bytes(_ count: Int) -> UnsafeRawBufferPointer? {
            guard count >= 0, count <= raw.count - offset else { return nil }
            defer { offset += count }
            return UnsafeRawBufferPointer(rebasing: raw[offset..<offset + count])
        }
        mutating func u32() -> UInt32? { bytes(4).map { $0.loadUnaligned(as: UInt32.self).littleEndian } }
        mutating func u64() -> UInt64? { bytes(8).map { $0.loadUnaligned(as: UInt64.self).littleEndian } }
    }
}

private extension Data {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
