import Foundation
import XCTest
@testable import Model

/// Writes a safetensors file from a raw header string and data bytes, so tests can make broken ones.
func writeSafeTensors(header: String, data: [UInt8], headerLengthOverride: UInt64? = nil) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString).safetensors").path
    var bytes = [UInt8]()
    let headerBytes = Array(header.utf8)
    withUnsafeBytes(of: (headerLengthOverride ?? UInt64(headerBytes.count)).littleEndian) { bytes += $0 }
    bytes += headerBytes + data
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

final class SafeTensorsTests: XCTestCase {
    func testReadsF32F16AndBF16AsFloats() throws {
        // 1.5 and -2 in each encoding.
        let f32: [UInt8] = [0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x00, 0xC0]
        let f16: [UInt8] = [0x00, 0x3E, 0x00, 0xC0]
        let bf16: [UInt8] = [0xC0, 0x3F, 0x00, 0xC0]
        let header = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},"c":{"dtype":"BF16","shape":[1,2],"data_offsets":[12,16]}}"#
        let file = try SafeTensorsFile(path: try writeSafeTensors(header: header, data: f32 + f16 + bf16))
        XCTAssertEqual(try file.floats("a"), [1.5, -2])
        XCTAssertEqual(try file.floats("b"), [1.5, -2])
        XCTAssertEqual(try file.floats("c", shape: [1, 2]), [1.5, -2])
        XCTAssertEqual(try file.bf16Bits("c", shape: [1, 2]), [0x3FC0, 0xC000])
    }

    func testTruncatedFileIsAClearError() throws {
        let header = #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#
        let path = try writeSafeTensors(header: header, data: [UInt8](repeating: 0, count: 7))
        XCTAssertThrowsError(try SafeTensorsFile(path: path)) { error in
            XCTAssertEqual(error as? SafeTensorsError, .badOffsets(tensor: "w", begin: 0, end: 16, dataSize: 7))
            XCTAssertTrue(String(describing: error).contains("w"))
        }
        let tiny = try writeSafeTensors(header: "", data: [], headerLengthOverride: nil)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: tiny))
        XCTAssertThrowsError(try SafeTensorsFile(path: tiny)) { XCTAssertEqual($0 as? SafeTensorsError, .fileTooSmall(path: tiny, size: 3)) }
    }

    func testHeaderLengthBeyondFile() throws {
        let path = try writeSafeTensors(header: "{}", data: [], headerLengthOverride: 1 << 40)
        XCTAssertThrowsError(try SafeTensorsFile(path: path)) {
            XCTAssertEqual($0 as? SafeTensorsError, .headerOutOfBounds(headerLength: 1 << 40, fileSize: 10))
        }
    }

    func testHeaderThatLiesAboutOffsets() throws {
        let reversed = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#
        XCTAssertThrowsError(try SafeTensorsFile(path: try writeSafeTensors(header: reversed, data: [0, 0, 0, 0]))) {
            XCTAssertEqual($0 as? SafeTensorsError, .badOffsets(tensor: "w", begin: 4, end: 0, dataSize: 4))
        }
        let wrongSize = #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,8]}}"#
        XCTAssertThrowsError(try SafeTensorsFile(path: try writeSafeTensors(header: wrongSize, data: [UInt8](repeating: 0, count: 8)))) {
            XCTAssertEqual($0 as? SafeTensorsError, .sizeMismatch(tensor: "w", shape: [2, 2], dtype: "F32", byteCount: 8))
        }
    }

    func testUnknownDTypeAndGarbageHeader() throws {
        let unknown = #"{"w":{"dtype":"F8_E9M9","shape":[1],"data_offsets":[0,1]}}"#
        XCTAssertThrowsError(try SafeTensorsFile(path: try writeSafeTensors(header: unknown, data: [0]))) {
            XCTAssertEqual($0 as? SafeTensorsError, .unknownDType(tensor: "w", dtype: "F8_E9M9"))
        }
        XCTAssertThrowsError(try SafeTensorsFile(path: try writeSafeTensors(header: "{not json", data: []))) {
            XCTAssertEqual($0 as? SafeTensorsError, .invalidHeader(reason: "not JSON"))
        }
        let noShape = #"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#
        XCTAssertThrowsError(try SafeTensorsFile(path: try writeSafeTensors(header: noShape, data: [0, 0, 0, 0]))) {
            XCTAssertEqual($0 as? SafeTensorsError, .invalidHeader(reason: "entry w lacks dtype, shape or data_offsets"))
        }
    }

    func testIntegerTensorIsNotSilentlyConverted() throws {
        let header = #"{"w":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#
        let file = try SafeTensorsFile(path: try writeSafeTensors(header: header, data: [1, 0, 0, 0]))
        XCTAssertThrowsError(try file.floats("w")) { XCTAssertEqual($0 as? SafeTensorsError, .unsupportedDType(tensor: "w", dtype: "I32")) }
    }

    func testMissingTensorAndWrongShapeNameTheTensor() throws {
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let file = try SafeTensorsFile(path: try writeSafeTensors(header: header, data: [0, 0, 0, 0]))
        XCTAssertThrowsError(try file.floats("model.norm.weight")) { XCTAssertEqual($0 as? SafeTensorsError, .missingTensor("model.norm.weight")) }
        XCTAssertThrowsError(try file.floats("w", shape: [2])) {
            XCTAssertEqual($0 as? SafeTensorsError, .unexpectedShape(tensor: "w", expected: [2], actual: [1]))
        }
    }

    // MARK: Found by fuzzing (scripts/fuzz.sh safetensors) or written alongside it

    /// Fuzzer crasher: two entries sharing bytes were accepted, so one tensor's data was also another's.
    func testOverlappingTensorsAreRefused() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}"#
        XCTAssertThrowsError(try SafeTensorsFile(path: try writeSafeTensors(header: header, data: [UInt8](repeating: 0, count: 8)))) {
            XCTAssertEqual($0 as? SafeTensorsError, .overlappingTensors("a", "b"))
        }
        // Adjacent and empty tensors do not overlap.
        let adjacent = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}"#
        let file = try SafeTensorsFile(path: try writeSafeTensors(header: adjacent, data: [UInt8](repeating: 0, count: 8)))
        XCTAssertEqual(file.tensors.count, 3)
    }

    /// A shape whose element count fits in Int but whose byte count does not used to trap (`count * dtype.byteCount`).
    func testShapeWhoseByteCountOverflowsIsAnError() throws {
        let header = #"{"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}}"#
        XCTAssertThrowsError(try SafeTensorsFile(path: try writeSafeTensors(header: header, data: []))) {
            XCTAssertEqual($0 as? SafeTensorsError, .sizeMismatch(tensor: "w", shape: [4611686018427387904], dtype: "F64", byteCount: 0))
        }
        let negative = #"{"w":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}}"#
        XCTAssertThrowsError(try SafeTensorsFile(path: try writeSafeTensors(header: negative, data: [UInt8](repeating: 0, count: 16)))) {
            XCTAssertEqual($0 as? SafeTensorsError, .sizeMismatch(tensor: "w", shape: [-1, -4], dtype: "F32", byteCount: 16))
        }
    }

    /// Numbers that are not integers used to go through NSNumber.intValue, which read 1.5 and true as 1 and 1e300 as Int.min.
    func testNonIntegerNumbersAreRefused() throws {
        for bad in ["1.5", "1e300", "true", "\"4\""] {
            let header = #"{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,"# + bad + "]}}"
            let reason = bad.first!.isNumber ? "shape and data_offsets must be lists of 64-bit integers" : "entry w: data_offsets must be a list of integers"
            XCTAssertThrowsError(try SafeTensorsFile(path: try writeSafeTensors(header: header, data: [0, 0, 0, 0])), bad) {
                XCTAssertEqual($0 as? SafeTensorsError, .invalidHeader(reason: reason), bad)
            }
        }
        let threeOffsets = #"{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4,4]}}"#
        XCTAssertThrowsError(try SafeTensorsFile(path: try writeSafeTensors(header: threeOffsets, data: [0, 0, 0, 0]))) {
            XCTAssertEqual($0 as? SafeTensorsError, .invalidHeader(reason: "entry w: data_offsets has 3 numbers, not 2"))
        }
        XCTAssertThrowsError(try SafeTensorsFile(path: try writeSafeTensors(header: #"[1, 2]"#, data: []))) {
            XCTAssertEqual($0 as? SafeTensorsError, .invalidHeader(reason: "not a JSON object"))
        }
        XCTAssertThrowsError(try SafeTensorsFile(path: try writeSafeTensors(header: #"{"w":7}"#, data: []))) {
            XCTAssertEqual($0 as? SafeTensorsError, .invalidHeader(reason: "entry w is not an object"))
        }
    }

    /// The header length is checked against a sane limit before anything is allocated for it.
    func testHeaderLengthLimit() throws {
        let fileSize = 8 + SafeTensorsFile.maxHeaderLength + 1
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: fileSize, alignment: 8)
        defer { bytes.deallocate() }
        bytes.storeBytes(of: UInt64(fileSize - 8).littleEndian, as: UInt64.self)
        XCTAssertThrowsError(try SafeTensorsFile.parseLayout(UnsafeRawBufferPointer(bytes))) {
            XCTAssertEqual($0 as? SafeTensorsError, .headerTooLarge(headerLength: UInt64(fileSize - 8), limit: SafeTensorsFile.maxHeaderLength))
        }
    }

    /// Every input the fuzzer saved (Tests/Fixtures/fuzz/safetensors-*) parses or throws a SafeTensorsError.
    func testFuzzerInputsAreHandled() throws {
        let directory = Paths.fixtures.appendingPathComponent("fuzz")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("safetensors-") }
        for name in names {
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            do { _ = try data.withUnsafeBytes { try SafeTensorsFile.parseLayout($0) } } catch {
                XCTAssertTrue(error is SafeTensorsError, "\(name): \(error)")
            }
        }
    }

    /// A model directory whose weights lack a tensor the config implies fails to load with that tensor's name.
    func testModelWithMissingTensorFailsToLoad() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let tiny = Paths.fixtures.appendingPathComponent("tiny-llama")
        try FileManager.default.copyItem(at: tiny.appendingPathComponent("config.json"), to: directory.appendingPathComponent("config.json"))
        let header = #"{"model.embed_tokens.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        try FileManager.default.moveItem(atPath: try writeSafeTensors(header: header, data: [0, 0, 0, 0]),
                                         toPath: directory.appendingPathComponent("model.safetensors").path)
        XCTAssertThrowsError(try LlamaModel(directory: directory)) { error in
            XCTAssertTrue(String(describing: error).contains("model.embed_tokens.weight"), "\(error)")
        }
        XCTAssertThrowsError(try LlamaModel(directory: directory.appendingPathComponent("nope"))) {
            XCTAssertTrue(String(describing: $0).contains("config.json"))
        }
    }
}
