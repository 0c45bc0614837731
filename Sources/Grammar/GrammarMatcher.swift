/// One sequence's progress through a grammar. A value type: copy it to try tokens (speculative decoding checks
/// draft tokens one by one on a copy) and keep the original as a checkpoint.
public struct GrammarMatcher: Sendable {
    public let grammar: CompiledGrammar
    public let vocabulary: TokenVocabulary
    private var state: GrammarState
    /// EOS was accepted; nothing more is.
    public private(set) var isTerminated = false

    public init(grammar: CompiledGrammar, vocabulary: TokenVocabulary) {
        self.grammar = grammar
        self.vocabulary = vocabulary
        state = GrammarState(tables: grammar.tables)
    }

    /// The value is complete: EOS is allowed.
    public var isComplete: Bool { state.isComplete }

    /// Advances by one token; false (state unchanged) when the grammar does not allow it.
    /// An EOS id is accepted exactly when the value is complete; special tokens never are.
    public mutating func accept(token: Int) -> Bool {
        guard !isTerminated, token >= 0, token < vocabulary.count else { return false }
        if vocabulary.isEOS(token) {
            guard state.isComplete else { return false }
            isTerminated = true
            return true
        }
        guard let bytes = vocabulary.tokenBytes[token], !bytes.isEmpty else { return false }
        return accept(bytes: bytes)
    }

    /// Advances by raw bytes (all or nothing); false (state unchanged) when they leave the grammar.
    public mutating func accept(bytes: some Collection<UInt8>) -> Bool {
        guard !isTerminated else { return false }
        var next = state
        for byte in bytes where !next.advance(byte, tables: grammar.tables) { return false }
        state = next
        return true
    }

    /// Sets `mask` to the tokens allowed now: those whose bytes keep the output inside the grammar, plus the EOS
    /// ids when the value is complete. Served from the grammar's mask cache when this position was seen before
    /// (then nothing is allocated).
    public func fillMask(_ mask: inout TokenMask) {
        precondition(mask.count == vocabulary.count, "mask has \(mask.count) bits for a vocabulary of \(vocabulary.count)")
        if isTerminated {
            mask.removeAll()
            return
        }
        if grammar.copyCachedMask(state, vocabulary, into: &mask) { return }
        mask.removeAll()
        var walker = MaskWalker(tables: grammar.tables)
        walker.fill(&mask, from: state, trie: vocabulary.trie)
        if state.isComplete {
            for token in vocabulary.eosTokenIds where token >= 0 && token < mask.count { mask.insert(token) }
        }
        grammar.storeMask(state, vocabulary, mask)
    }
}
