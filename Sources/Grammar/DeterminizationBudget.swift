/// Work allowed to the subset and product constructions of one schema (every `ByteDFA`, its intersections and the
/// `GrammarTables`, enum checks included), counted in NFA states and transitions touched. The state limits alone do
/// not bound time, since one DFA state can stand for a thousand NFA states: a 250-byte unanchored `pattern` found by
/// the request fuzzer made 20,000 such states and compiled for 14 s. The largest of the 204 real-world schemas
/// (scripts/data/schemas, Github_medium/o82667) spends 38.5M, in 1.5 s.
struct DeterminizationBudget {
    static let limit = 64_000_000
    private(set) var spent = 0

    mutating func spend(_ work: Int) throws(GrammarError) {
        spent += work
        guard spent <= Self.limit else {
            throw GrammarError(message: "the schema's automaton is too large to build (over \(Self.limit) steps)", pointer: "")
        }
    }
}
