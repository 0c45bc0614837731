import Foundation

/// The C signature of `LLVMFuzzerTestOneInput`.
public typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                                 _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                                 _ callback: FuzzCallback) -> CInt
#endif

/// The `main` of every fuzz target.
///
/// SwiftPM links an executable's `main` to its module's entry point, so libFuzzer's own `main` never runs: built
/// with `-sanitize=fuzzer -DFUZZING` (scripts/fuzz.sh) we hand the command line to libFuzzer's driver. In a plain
/// build (`swift build`, no libFuzzer) the target instead replays the files or directories it is given through the
/// same callback, so a crasher can be reproduced, and debugged, without the fuzzing toolchain.
public func fuzzMain(_ callback: FuzzCallback) -> Never {
    #if FUZZING
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
    #else
    let arguments = CommandLine.arguments.dropFirst()
    guard !arguments.isEmpty else {
        print("usage: \(CommandLine.arguments[0]) INPUT_FILE_OR_DIRECTORY... (replays inputs; scripts/fuzz.sh fuzzes)")
        exit(2)
    }
    var count = 0
    for path in arguments {
        var isDirectory: ObjCBool = false
        FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let files = isDirectory.boolValue
            ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 } : [path]
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            _ = data.withUnsafeBytes { callback($0.bindMemory(to: UInt8.self).baseAddress, $0.count) }
            count += 1
        }
    }
    print("replayed \(count) inputs: no failure")
    exit(0)
    #endif
}
