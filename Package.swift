// swift-tools-version:6.0
import PackageDescription

// Numeric code is compiled optimized even in debug builds, so the plain `swift run serve` decodes at full speed and
// the test suite runs the real model quickly. No -target-cpu: the binary runs on any x86-64 (or arm64) CPU, and the
// kernels that need AVX2, AVX-512, VNNI or BF16 live in CKernels, chosen at startup by what the CPU has.
let optimized: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "swift-llm-serve",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "serve", targets: ["Serve"]),
        .executable(name: "bench", targets: ["Bench"]),
        .library(name: "Model", targets: ["Model"]),
        .library(name: "Tokenizer", targets: ["Tokenizer"]),
        .library(name: "Scheduler", targets: ["Scheduler"]),
        .library(name: "Grammar", targets: ["Grammar"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Kernels for instruction-set extensions, each function with its own target attribute (see CKernels.h).
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "Model", dependencies: ["COpenBLAS", "CKernels", "Scheduler"], swiftSettings: optimized),
        // A C API over libsentencepiece's C++ (Debian libsentencepiece-dev), so Swift needs no C++ interop.
        .target(
            name: "CSentencePiece",
            cSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("sentencepiece")]
        ),
        .target(name: "Tokenizer", dependencies: ["CSentencePiece"], swiftSettings: optimized),
        .target(name: "Scheduler"),
        // Structured outputs: JSON Schema -> grammar -> per-step token masks. No dependencies (not even Tokenizer):
        // it sees a vocabulary only as each token's bytes.
        .target(name: "Grammar", swiftSettings: optimized),
        // FuzzSupport: built with -DFUZZING, `serve` is the request decoder's libFuzzer target (ServeMain.swift).
        .executableTarget(
            name: "Serve",
            dependencies: [
                "Model", "Tokenizer", "Scheduler", "Grammar", "FuzzSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Release-build benchmarks: `swift run -c release bench tokenizer|model`.
        .executableTarget(name: "Bench", dependencies: ["Model", "Tokenizer", "Scheduler", "Grammar"], swiftSettings: optimized),
        // libFuzzer targets, built and run by scripts/fuzz.sh with -sanitize=fuzzer -DFUZZING. A plain `swift build`
        // gives each a small main that replays the input files it is given (e.g. a crasher) through the same checks.
        .target(name: "FuzzSupport", path: "Sources/Fuzz/FuzzSupport"),
        .executableTarget(name: "FuzzTokenizer", dependencies: ["Tokenizer", "FuzzSupport"], path: "Sources/Fuzz/FuzzTokenizer"),
        .executableTarget(name: "FuzzChatTemplate", dependencies: ["Tokenizer", "FuzzSupport"], path: "Sources/Fuzz/FuzzChatTemplate"),
        .executableTarget(name: "FuzzSafeTensors", dependencies: ["Model", "FuzzSupport"], path: "Sources/Fuzz/FuzzSafeTensors"),
        .testTarget(name: "ModelTests", dependencies: ["Model", "Scheduler"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer"]),
        .testTarget(name: "SchedulerTests", dependencies: ["Scheduler"]),
        .testTarget(name: "GrammarTests", dependencies: ["Grammar", "Tokenizer"]),
        .testTarget(
            name: "ServeTests",
            dependencies: [
                "Serve",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
