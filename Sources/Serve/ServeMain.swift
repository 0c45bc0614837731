#if FUZZING
import FuzzSupport

/// Built with -sanitize=fuzzer -DFUZZING (scripts/fuzz.sh request), `serve` is the request decoder's libFuzzer target
/// instead of the server: the request types live in this executable module, which no other target can import.
@main
enum ServeMain {
    static func main() { fuzzMain(fuzzOneRequest) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    RequestFuzzing.check(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
/// The server's command line (`ServeCommand`); a separate entry point so that a -DFUZZING build can replace it.
@main
enum ServeMain {
    static func main() async { await ServeCommand.main() }
}
#endif
