import XCTest
@testable import Tokenizer

final class ByteLevelTests: XCTestCase {
    func testKnownMappings() {
        XCTAssertEqual(ByteLevel.byteToScalar[Int(UInt8(ascii: " "))], "Ġ")
        XCTAssertEqual(ByteLevel.byteToScalar[Int(UInt8(ascii: "\n"))], "Ċ")
        XCTAssertEqual(ByteLevel.byteToScalar[Int(UInt8(ascii: "a"))], "a")
        XCTAssertEqual(ByteLevel.byteToScalar[0], "\u{0100}")
        XCTAssertEqual(ByteLevel.byteToScalar[0xAD], "\u{0143}")
        XCTAssertEqual(ByteLevel.encode(Array(" hé".utf8)), "ĠhÃ©")
    }

    func testRoundTripOverAllBytes() {
        let all = (0...255).map { UInt8($0) }
        XCTAssertEqual(Set(ByteLevel.byteToScalar).count, 256)
        XCTAssertEqual(ByteLevel.decode(ByteLevel.encode(all)), all)
        XCTAssertNil(ByteLevel.decode("a b"), "a plain space is outside the map")
    }
}
