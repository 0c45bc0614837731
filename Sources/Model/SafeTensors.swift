import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Element types a safetensors file may declare. The loader converts F32, F16 and BF16 to f32.
public enum TensorDType: String, Sendable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    public var byteCount: Int {
        switch self {
        case .f64, .i64: 8
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .i8, .u8, .bool: 1
        }
    }
}

public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case fileTooSmall(path: String, size: Int)
    case headerOutOfBounds(headerLength: UInt64, fileSize: Int)
    case headerTooLarge(headerLength: UInt64, limit: Int)
    case overlappingTensors(String, String)
    case invalidHeader(reason: String)
    case unknownDType(tensor: String, dtype: String)
    case badOffsets(tensor: String, begin: Int, end: Int, dataSize: Int)
    case sizeMismatch(tensor: String, shape: [Int], dtype: String, byteCount: Int)
    case missingTensor(String)
    case unexpectedShape(tensor: String, expected: [Int], actual: [Int])
    case unsupportedDType(tensor: String, dtype: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "cannot open \(path): \(reason)"
        case .fileTooSmall(let path, let size): "\(path) is \(size) bytes: too small to be a safetensors file"
        case .headerOutOfBounds(let length, let size): "safetensors header claims \(length) bytes but the file has \(size)"
        case .headerTooLarge(let length, let limit): "safetensors header claims \(length) bytes, more than the \(limit) we read"
        case .overlappingTensors(let first, let second): "tensors \(first) and \(second) overlap in the data section"
        case .invalidHeader(let reason): "invalid safetensors header: \(reason)"
        case .unknownDType(let tensor, let dtype): "tensor \(tensor): unknown dtype \(dtype)"
        case .badOffsets(let tensor, let begin, let end, let size):
            "tensor \(tensor): data_offsets [\(begin), \(end)] outside the data section of \(size) bytes"
        case .sizeMismatch(let tensor, let shape, let dtype, let bytes):
            "tensor \(tensor): shape \(shape) of \(dtype) does not fit its \(bytes) bytes"
        case .missingTensor(let name): "missing tensor \(name)"
        case .unexpectedShape(let tensor, let expected, let actual): "tensor \(tensor): expected shape \(expected), found \(actual)"
        case .unsupportedDType(let tensor, let dtype): "tensor \(tensor): dtype \(dtype) is not supported (F32, F16, BF16 are)"
        }
    }
}

/// One tensor's entry in the header, validated against the file.
public struct TensorInfo: Sendable, Equatable {
    public var dtype: TensorDType
    public var shape: [Int]
    /// Byte range relative to the start of the data section.
    public var byteRange: Range<Int>
}

/// A memory-mapped safetensors file (https://github.com/huggingface/safetensors format):
/// u64 little-endian header length N, N bytes of JSON, then the data section.
/// Every header entry is validated when the file opens, so later reads cannot go out of bounds.
public final class SafeTensorsFile {
    public let path: String
    public let tensors: [String: TensorInfo]
    private let base: UnsafeRawPointer
    private let fileSize: Int
    private let dataStart: Int

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SafeTensorsError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SafeTensorsError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        fileSize = Int(info.st_size)
        guard fileSize >= 8 else { throw SafeTensorsError.fileTooSmall(path: path, size: fileSize) }
        guard let mapped = mmap(nil, fileSize, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw SafeTensorsError.cannotOpen(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(mapped)
        do {
            (dataStart, tensors) = try Self.parseLayout(UnsafeRawBufferPointer(start: base, count: fileSize))
        } catch {
            munmap(UnsafeMutableRawPointer(mutating: base), fileSize)
            throw error
        }
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), fileSize) }

    /// Reads and validates the header of a whole safetensors file held in memory: where the data section
    /// starts and every tensor's entry. Public so the fuzzer (Sources/FuzzSafeTensors) can drive it without a file.
    public static func parseLayout(_ file: UnsafeRawBufferPointer) throws -> (dataStart: Int, tensors: [String: TensorInfo]) {
        guard file.count >= 8 else { throw SafeTensorsError.fileTooSmall(path: "<memory>", size: file.count) }
        let headerLength = file.loadUnaligned(as: UInt64.self).littleEndian
        guard headerLength <= UInt64(file.count - 8) else {
            throw SafeTensorsError.headerOutOfBounds(headerLength: headerLength, fileSize: file.count)
        }
        guard headerLength <= UInt64(maxHeaderLength) else {
            throw SafeTensorsError.headerTooLarge(headerLength: headerLength, limit: maxHeaderLength)
        }
        let dataStart = 8 + Int(headerLength)
        let header = Data(bytes: file.baseAddress! + 8, count: Int(headerLength))
        return (dataStart, try parseHeader(header, dataSize: file.count - dataStart))
    }

    /// The longest header we read, as in the reference implementation (`MAX_HEADER_SIZE`, 100 MB): a real one
    /// is tens of kilobytes, and a length beyond this is a corrupt or hostile file, not one to allocate for.
    public static let maxHeaderLength = 100_000_000

    static func parseHeader(_ header: Data, dataSize: Int) throws -> [String: TensorInfo] {
        guard (try? JSONSerialization.jsonObject(with: header)) != nil else {
            throw SafeTensorsError.invalidHeader(reason: "not JSON")
        }
        let entries: [(name: String, entry: HeaderEntry)]
        do { entries = try JSONDecoder().decode(HeaderEntries.self, from: header).entries } catch let error as DecodingError {
            throw SafeTensorsError.invalidHeader(reason: HeaderEntries.reason(error))
        }
        var tensors: [String: TensorInfo] = [:]
        for (name, entry) in entries {
            guard let dtype = TensorDType(rawValue: entry.dtype) else {
                throw SafeTensorsError.unknownDType(tensor: name, dtype: entry.dtype)
            }
            guard entry.dataOffsets.count == 2 else {
                throw SafeTensorsError.invalidHeader(reason: "entry \(name): data_offsets has \(entry.dataOffsets.count) numbers, not 2")
            }
            let (begin, end) = (entry.dataOffsets[0], entry.dataOffsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw SafeTensorsError.badOffsets(tensor: name, begin: begin, end: end, dataSize: dataSize)
            }
            // Element count × element size, refusing negative dimensions and overflow (a shape can claim 2^70 bytes).
            var byteCount: Int? = dtype.byteCount
            for dim in entry.shape {
                byteCount = byteCount.flatMap { dim < 0 ? nil : $0.multipliedReportingOverflow(by: dim) }
                    .flatMap { $0.overflow ? nil : $0.partialValue }
            }
            guard byteCount == end - begin else {
                throw SafeTensorsError.sizeMismatch(tensor: name, shape: entry.shape, dtype: entry.dtype, byteCount: end - begin)
            }
            tensors[name] = TensorInfo(dtype: dtype, shape: entry.shape, byteRange: begin..<end)
        }
        // No two tensors may share bytes: a writer never produces that, and a reader that mutated one would see the other change.
        let ranges = tensors.filter { !$0.value.byteRange.isEmpty }.sorted { $0.value.byteRange.lowerBound < $1.value.byteRange.lowerBound }
        for (previous, next) in zip(ranges, ranges.dropFirst()) where previous.value.byteRange.overlaps(next.value.byteRange) {
            throw SafeTensorsError.overlappingTensors(previous.key, next.key)
        }
        return tensors
    }

    /// The raw bits of a BF16 tensor, checking its shape.
    public func bf16Bits(_ name: String, shape expected: [Int]) throws -> [UInt16] {
        let (info, source) = try locate(name, shape: expected)
        guard info.dtype == .bf16 else { throw SafeTensorsError.unsupportedDType(tensor: name, dtype: info.dtype.rawValue) }
        let count = info.shape.reduce(1, *)
        return [UInt16](unsafeUninitializedCapacity: count) { out, initialized in
            for i in 0..<count { out[i] = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            initialized = count
        }
    }

    private func locate(_ name: String, shape expected: [Int]?) throws -> (TensorInfo, UnsafeRawPointer) {
        guard let info = tensors[name] else { throw SafeTensorsError.missingTensor(name) }
        if let expected, expected != info.shape {
            throw SafeTensorsError.unexpectedShape(tensor: name, expected: expected, actual: info.shape)
        }
        return (info, base + dataStart + info.byteRange.lowerBound)
    }

    /// The tensor converted to f32, checking its shape when `shape` is given.
    public func floats(_ name: String, shape expected: [Int]? = nil) throws -> [Float] {
        let (info, source) = try locate(name, shape: expected)
        let count = info.shape.reduce(1, *)
        return try [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch info.dtype {
            case .f32:
                for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            case .bf16:
                // bf16 is the top half of an f32.
                for i in 0..<count {
                    out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
                }
            case .f16:
                for i in 0..<count {
                    out[i] = Float(Float16(bitPattern: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                }
            default:
                throw SafeTensorsError.unsupportedDType(tensor: name, dtype: info.dtype.rawValue)
            }
            initialized = count
        }
    }
}

/// The header's tensor entries in file order, `__metadata__` skipped; decoded strictly (integers must be integers).
private struct HeaderEntries: Decodable {
    var entries: [(name: String, entry: HeaderEntry)] = []

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys where key.stringValue != "__metadata__" {
            entries.append((key.stringValue, try container.decode(HeaderEntry.self, forKey: key)))
        }
    }

    /// What a user reads: which entry and field is wrong.
    static func reason(_ error: DecodingError) -> String {
        let path: [any CodingKey]
        switch error {
        case .keyNotFound(_, let context), .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        @unknown default:
            path = []
        }
        guard let name = path.first?.stringValue else {
            // The header is valid JSON (checked first), so corrupt data here is a number that is no Int (1.5, 1e300);
            // Foundation's decoder does not say where.
            if case .dataCorrupted = error { return "shape and data_offsets must be lists of 64-bit integers" }
            return "not a JSON object"
        }
        if case .keyNotFound = error { return "entry \(name) lacks dtype, shape or data_offsets" }
        guard path.count > 1 else { return "entry \(name) is not an object" }
        return "entry \(name): \(path[1].stringValue) must be \(path[1].stringValue == "dtype" ? "a string" : "a list of integers")"
    }
}

private struct HeaderEntry: Decodable {
    var dtype: String
    var shape: [Int]
    var dataOffsets: [Int]

    enum CodingKeys: String, CodingKey {
        case dtype, shape
        case dataOffsets = "data_offsets"
    }
}
