/// The character classes the GPT-2 split pattern distinguishes, with the same meaning as in the
/// Rust/Oniguruma regex engines Hugging Face uses: `\p{L}` (General_Category L*), `\p{N}` (N*),
/// `\s` (White_Space), and everything else.
enum ScalarClass: UInt8 {
    case letter, number, whitespace, other

    @inline(__always)
    init(_ value: UInt32) {
        if value < 0x80 {
            switch value {
            case 0x61...0x7A, 0x41...0x5A: self = .letter
            case 0x30...0x39: self = .number
            case 0x09...0x0D, 0x20: self = .whitespace
            default: self = .other
            }
            return
        }
        self = ScalarClass.nonASCII(value)
    }

    private static func nonASCII(_ value: UInt32) -> ScalarClass {
        guard let scalar = Unicode.Scalar(value) else { return .other }
        let properties = scalar.properties
        if properties.isWhitespace { return .whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }
}

/// Decodes the scalar starting at `index` of valid UTF-8 (as stored by `String`).
/// Returns the scalar value and its length in bytes.
@inline(__always)
func decodeScalar(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (value: UInt32, length: Int) {
    let lead = UInt32(bytes[index])
    if lead < 0x80 { return (lead, 1) }
    if lead < 0xE0 {
        return (((lead & 0x1F) << 6) | (UInt32(bytes[index + 1]) & 0x3F), 2)
    }
    if lead < 0xF0 {
        return (((lead & 0x0F) << 12) | ((UInt32(bytes[index + 1]) & 0x3F) << 6) | (UInt32(bytes[index + 2]) & 0x3F), 3)
    }
    return (((lead & 0x07) << 18) | ((UInt32(bytes[index + 1]) & 0x3F) << 12)
        | ((UInt32(bytes[index + 2]) & 0x3F) << 6) | (UInt32(bytes[index + 3]) & 0x3F), 4)
}
