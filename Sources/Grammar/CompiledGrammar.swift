import Synchronization

/// A grammar ready for matching: a JSON Schema compiled once and shared by every sequence that uses it.
/// Also holds the masks already computed for its positions (per vocabulary), since most steps of a JSON output
/// revisit a few positions (inside a string, between members...).
public final class CompiledGrammar: Sendable {
    let tables: GrammarTables
    private let masks = Mutex<[ObjectIdentifier: VocabularyMasks]>([:])
    /// Masks kept per vocabulary (~6 KB each for a 49k vocabulary); all are dropped when full.
    static let maxCachedMasks = 1024

    private struct VocabularyMasks {
        let vocabulary: TokenVocabulary  // keeps the ObjectIdentifier unique while cached
        var masks: [GrammarState: [UInt64]] = [:]
    }

    init(tables: GrammarTables) { self.tables = tables }

    /// Compiles a JSON Schema given as JSON text (see README "Structured outputs" for what is supported).
    public static func jsonSchema(_ schemaJSON: String) throws(GrammarError) -> CompiledGrammar {
        let document: JSONValue
        do {
            document = try JSONParser.parse(schemaJSON)
        } catch {
            throw GrammarError(message: "the schema is not valid JSON: \(error.message) at byte \(error.offset)", pointer: "")
        }
        var compiler = SchemaCompiler(document: document)
        try compiler.compile(root: document, at: "")
        var budget = compiler.budget
        return CompiledGrammar(tables: try GrammarTables(compiler, budget: &budget))
    }

    /// `response_format: {"type": "json_object"}`: any JSON object.
    public static let anyJSONObject: CompiledGrammar = {
        do { return try jsonSchema(#"{"type":"object"}"#) } catch { fatalError("built-in grammar: \(error)") }
    }()

    /// Number of automaton states (a size measure for logs and benchmarks).
    public var numStates: Int { tables.numStates }

    /// Copies the cached mask of `state` into `mask`; false when none is cached.
    func copyCachedMask(_ state: GrammarState, _ vocabulary: TokenVocabulary, into mask: inout TokenMask) -> Bool {
        masks.withLock { cache in
            guard let words = cache[ObjectIdentifier(vocabulary)]?.masks[state] else { return false }
            mask.words.withUnsafeMutableBufferPointer { destination in
                words.withUnsafeBufferPointer { destination.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
            }
            return true
        }
    }

    func storeMask(_ state: GrammarState, _ vocabulary: TokenVocabulary, _ mask: TokenMask) {
        masks.withLock { cache in
            let key = ObjectIdentifier(vocabulary)
            var entry = cache[key] ?? VocabularyMasks(vocabulary: vocabulary)
            if entry.masks.count >= Self.maxCachedMasks { entry.masks.removeAll() }
            entry.masks[state] = mask.words
            cache[key] = entry
        }
    }
}

/// Thread-safe LRU of compiled grammars keyed by schema text.
public final class GrammarCache: Sendable {
    private struct Entries {
        /// Refusals too: a schema that cannot be compiled (or blows the work budget) costs its compile once.
        var grammars: [String: Result<CompiledGrammar, GrammarError>] = [:]
        var order: [String] = []  // least recently used first
    }

    public let capacity: Int
    private let entries = Mutex(Entries())

    public init(capacity: Int = 64) { self.capacity = max(1, capacity) }

    /// The compiled grammar of `schemaJSON` (or why it cannot be), compiling it on a miss.
    public func grammar(forSchema schemaJSON: String) throws(GrammarError) -> CompiledGrammar {
        if let cached = cachedGrammar(forSchema: schemaJSON) { return try cached.get() }
        let compiled = Result { () throws(GrammarError) in try CompiledGrammar.jsonSchema(schemaJSON) }
        return try entries.withLock { entries in
            // Another thread may have compiled the same schema meanwhile: keep the first.
            if let existing = entries.grammars[schemaJSON] { return existing }
            entries.grammars[schemaJSON] = compiled
            entries.order.append(schemaJSON)
            while entries.order.count > capacity { entries.grammars[entries.order.removeFirst()] = nil }
            return compiled
        }.get()
    }

    /// The cached outcome for `schemaJSON`, if there is one; never compiles.
    public func cachedGrammar(forSchema schemaJSON: String) -> Result<CompiledGrammar, GrammarError>? {
        entries.withLock { entries in
            guard let outcome = entries.grammars[schemaJSON] else { return nil }
            entries.order.removeAll { $0 == schemaJSON }
            entries.order.append(schemaJSON)
            return outcome
        }
    }

    public var count: Int { entries.withLock { $0.grammars.count } }
}
