import Foundation

/// The fast kernels the forward pass calls: our bf16 panel GEMM and decode attention (C in CKernels, one version
/// per instruction set, chosen by `KernelPath`, plus a plain Swift reference path), BLAS for f32 matrices and
/// prefill attention, plain loops for the rest. Each has a counterpart in `ReferenceKernels` written for clarity
/// (f64 accumulation, no tricks) that tests compare every path against.
enum Kernels {
    /// Threads a kernel splits its work over: the cores the process may use (the engine thread is one of them).
    static let numThreads = max(1, ProcessInfo.processInfo.activeProcessorCount)
}

/// Straightforward implementations used only as a reference in tests.
public enum ReferenceKernels {}

/// A row count as a type, so that a tile kernel generic over it gets one specialized loop per count
/// (the `count >` tests in its body fold away).
protocol TileRowCount { static var count: Int { get } }
enum OneRow: TileRowCount { static var count: Int { 1 } }
enum TwoRows: TileRowCount { static var count: Int { 2 } }
enum ThreeRows: TileRowCount { static var count: Int { 3 } }
enum FourRows: TileRowCount { static var count: Int { 4 } }
