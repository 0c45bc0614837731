// libFuzzer target: arbitrary bytes as a whole safetensors file. Parsing must throw a SafeTensorsError or return
// entries that are all valid; anything else traps so libFuzzer records the input. See scripts/fuzz.sh.
import FuzzSupport
import Model

func checkSafeTensors(_ file: UnsafeRawBufferPointer) {
    let layout: (dataStart: Int, tensors: [String: TensorInfo])
    do {
        layout = try SafeTensorsFile.parseLayout(file)
    } catch is SafeTensorsError {
        return
    } catch {
        fatalError("parseLayout threw a non-SafeTensorsError: \(error)")
    }
    let dataSize = file.count - layout.dataStart
    precondition(layout.dataStart >= 8 && layout.dataStart <= file.count, "data section starts outside the file")
    var ranges: [Range<Int>] = []
    for (name, info) in layout.tensors {
        let range = info.byteRange
        precondition(range.lowerBound >= 0 && range.upperBound <= dataSize, "\(name): \(range) outside \(dataSize) bytes")
        let count = info.shape.reduce(1) { $0 * $1 }  // traps on overflow: the parser must have rejected it
        precondition(info.shape.allSatisfy { $0 >= 0 } && count * info.dtype.byteCount == range.count, "\(name): size mismatch")
        if !range.isEmpty { ranges.append(range) }
    }
    ranges.sort { $0.lowerBound < $1.lowerBound }
    for (previous, next) in zip(ranges, ranges.dropFirst()) {
        precondition(previous.upperBound <= next.lowerBound, "overlapping tensors \(previous) and \(next)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    checkSafeTensors(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@main enum Main {
    static func main() { fuzzMain(fuzzTestOneInput) }
}
