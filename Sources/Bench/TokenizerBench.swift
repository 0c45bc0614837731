import Foundation
import Tokenizer

/// `bench tokenizer [FILE]`: encoding throughput of the real tokenizer on one core.
/// Without FILE, repeats a built-in English passage to just over 1 MB.
func runTokenizerBenchmark(_ arguments: [String]) {
    let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    let directory = root.appendingPathComponent("weights/smol-135m")
    let tokenizer: Tokenizer
    let loadStart = DispatchTime.now().uptimeNanoseconds
    do {
        tokenizer = try Tokenizer(directory: directory)
        print(String(format: "tokenizer load: %.3f s", Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9))
    } catch {
        FileHandle.standardError.write(Data("cannot load tokenizer from \(directory.path): \(error)\n".utf8))
        exit(1)
    }

    let text: String
    if let path = arguments.first {
        guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
            FileHandle.standardError.write(Data("cannot read \(path) as UTF-8\n".utf8))
            exit(1)
        }
        text = contents
    } else {
        var corpus = ""
        var paragraph = 0
        while corpus.utf8.count < 1_100_000 {
            corpus += benchmarkPassage.replacingOccurrences(of: "{n}", with: String(paragraph))
            paragraph += 1
        }
        text = corpus
    }
    let numBytes = text.utf8.count

    _ = tokenizer.encode(String(text.prefix(10_000)))  // warm up
    var best = Double.infinity
    var numTokens = 0
    for _ in 0..<3 {
        let start = DispatchTime.now().uptimeNanoseconds
        numTokens = tokenizer.encode(text).count
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    let ids = tokenizer.encode(text)
    let decodeStart = DispatchTime.now().uptimeNanoseconds
    let roundTrip = tokenizer.decode(ids)
    let decodeSeconds = Double(DispatchTime.now().uptimeNanoseconds - decodeStart) / 1e9

    print(String(format: "tokenizer encode: %.2f MB in %.3f s (best of 3) = %.2f MB/s, %.0f tokens/s (%d tokens)",
                 Double(numBytes) / 1e6, best, Double(numBytes) / 1e6 / best, Double(numTokens) / best, numTokens))
    print(String(format: "tokenizer decode: %.0f tokens/s, round trip %@", Double(ids.count) / decodeSeconds,
                 roundTrip == text ? "exact" : "MISMATCH"))
}

private let benchmarkPassage = """
Chapter {n}. It was a bright cold day in April, and the clocks were striking thirteen. The hallway smelt of \
boiled cabbage and old rag mats; at one end of it a coloured poster, too large for indoor display, had been \
tacked to the wall. "We'll need 3,250 more by Friday," she said, "and I don't think they're coming." \
Scientists measured 42.7 degrees at 10:45 a.m.; the committee's report (published in 2019) disagreed.
  Meanwhile, the engineers rewrote the parser: `for item in items { total += item.price * 1.08 }` ran \
twice as fast, which wasn't what anyone had expected. You'd think it'd be obvious, but it isn't!

"""
