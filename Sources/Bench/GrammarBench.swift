import Foundation
import Grammar
import Tokenizer

/// `bench grammar [--rounds N] [--slowest]`: structured-output cost over the conformance suite's valid instances
/// (Tests/Fixtures/grammar/conformance.json) tokenized with weights/smol-135m's tokenizer, on one core:
/// schema compile time, and the time of each fillMask (p50 / p99 / mean) along the instances' tokens.
/// Round 1 compiles every grammar (empty mask caches: the worst case, every position new); later rounds take them
/// from a GrammarCache, as a server does for a schema it has seen (compile time is then the cache lookup).
func runGrammarBenchmark(_ arguments: [String]) {
    var rounds = 2
    if let index = arguments.firstIndex(of: "--rounds"), index + 1 < arguments.count, let value = Int(arguments[index + 1]) { rounds = max(1, value) }
    let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    struct Suite: Decodable {
        struct Case: Decodable { var name: String; var schema: String; var valid: [String] }
        var cases: [Case]
    }
    let tokenizer: Tokenizer
    let suite: Suite
    do {
        tokenizer = try Tokenizer(directory: root.appendingPathComponent("weights/smol-135m"))
        suite = try JSONDecoder().decode(Suite.self, from: Data(contentsOf: root.appendingPathComponent("Tests/Fixtures/grammar/conformance.json")))
    } catch {
        FileHandle.standardError.write(Data("bench grammar: \(error)\n".utf8))
        exit(1)
    }
    func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
    var eos: Set<Int> = []
    if let id = tokenizer.eosTokenId { eos.insert(id) }
    let vocabularyStart = now()
    let vocabulary = TokenVocabulary(tokenBytes: tokenizer.allTokenBytes(), eosTokenIds: eos)
    print(String(format: "vocabulary: %d tokens, trie built in %.1f ms", vocabulary.count, Double(now() - vocabularyStart) / 1e6))

    let instances = suite.cases.map { testCase in testCase.valid.map { tokenizer.encode($0, addSpecialTokens: false) } }
    var mask = TokenMask(count: vocabulary.count)
    let cache = GrammarCache(capacity: 256)
    for round in 1...rounds {
        var compileNanos: [UInt64] = []
        var maskNanos: [UInt64] = []
        var numTokens = 0
        var totalNanos: UInt64 = 0
        var slowest: [(nanos: UInt64, name: String, position: Int)] = []
        for (testCase, tokenLists) in zip(suite.cases, instances) {
            let compileStart = now()
            guard let grammar = try? cache.grammar(forSchema: testCase.schema) else {
                FileHandle.standardError.write(Data("bench grammar: \(testCase.name) does not compile\n".utf8))
                exit(1)
            }
            compileNanos.append(now() - compileStart)
            for tokens in tokenLists {
                var matcher = GrammarMatcher(grammar: grammar, vocabulary: vocabulary)
                for (position, token) in (tokens + [eos.first!]).enumerated() {
                    let start = now()
                    matcher.fillMask(&mask)
                    let maskEnd = now()
                    let accepted = matcher.accept(token: token)
                    totalNanos += now() - start
                    maskNanos.append(maskEnd - start)
                    if arguments.contains("--slowest") { slowest.append((maskEnd - start, testCase.name, position)) }
                    numTokens += 1
                    if !accepted {
                        FileHandle.standardError.write(Data("bench grammar: \(testCase.name): token \(token) rejected\n".utf8))
                        exit(1)
                    }
                }
            }
        }
        func percentile(_ values: [UInt64], _ p: Double) -> Double {
            let sorted = values.sorted()
            return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1e3
        }
        let meanMask = Double(maskNanos.reduce(0, +)) / Double(maskNanos.count) / 1e3
        print(String(format: "round %d: %d schemas, %d tokens: mask p50 %.1f µs, p99 %.1f µs, max %.1f µs, mean %.1f µs; %.0f tokens/s (mask + accept)",
                     round, suite.cases.count, numTokens, percentile(maskNanos, 0.5), percentile(maskNanos, 0.99),
                     percentile(maskNanos, 1.0), meanMask, Double(numTokens) / (Double(totalNanos) / 1e9)))
        for entry in slowest.sorted(by: { $0.nanos > $1.nanos }).prefix(15) {
            print(String(format: "  %8.1f µs  %@ at token %d", Double(entry.nanos) / 1e3, entry.name, entry.position))
        }
        print(String(format: "         compile p50 %.2f ms, p99 %.2f ms, max %.2f ms, total %.1f ms",
                     percentile(compileNanos, 0.5) / 1e3, percentile(compileNanos, 0.99) / 1e3, percentile(compileNanos, 1.0) / 1e3,
                     Double(compileNanos.reduce(0, +)) / 1e6))
    }
}
