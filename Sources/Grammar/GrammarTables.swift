/// The compiled form of a grammar: every rule determinized, all rules' states numbered in one space.
///
/// A state consumes bytes (one transition per byte class), may call rules (each call edge names the callee and
/// the state to return to), and may be final (its rule may end there). Dead states are trimmed away, so every
/// state reachable by consuming input can still complete the value.
struct GrammarTables: Sendable {
    static let noState: Int32 = -1
    static let flagFinal: UInt8 = 1, flagCalls: UInt8 = 2, flagBytes: UInt8 = 4

    /// Byte -> class; bytes in one class behave alike everywhere in the grammar.
    let byteClass: [UInt8]
    let numClasses: Int
    /// state * numClasses + class -> next state or -1.
    let transitions: [Int32]
    let flags: [UInt8]
    /// Call edges of state s: callRule / callReturn[callOffsets[s]..<callOffsets[s + 1]].
    let callOffsets: [Int32]
    let callRule: [Int32]
    let callReturn: [Int32]
    let ruleStart: [Int32]
    /// Bytes that lead from each state back to itself: selfLoopBytes[4s..<4s+4] (e.g. plain characters inside a
    /// string). A token whose bytes all loop is accepted without walking it.
    let selfLoopBytes: [UInt64]
    var numStates: Int { flags.count }
    var numRules: Int { ruleStart.count }

    init(_ compiler: SchemaCompiler, budget: inout DeterminizationBudget) throws(GrammarError) {
        let nfa = compiler.nfa
        // Byte classes: cut at every edge boundary.
        var cuts = [Bool](repeating: false, count: 257)
        cuts[0] = true
        for edges in nfa.byteEdges { for edge in edges { cuts[Int(edge.lo)] = true; cuts[Int(edge.hi) + 1] = true } }
        var byteClass = [UInt8](repeating: 0, count: 256)
        var classStart: [Int] = []
        var current = -1
        for byte in 0..<256 {
            if cuts[byte] { current += 1; classStart.append(byte) }
            byteClass[byte] = UInt8(current)
        }
        let numClasses = current + 1

        // Determinize each rule; calls are symbols like bytes.
        struct RuleDFA {
            var transitions: [Int32] = []
            var calls: [[(rule: Int32, target: Int32)]] = []
            var isFinal: [Bool] = []
        }
        var ruleDFAs: [RuleDFA] = []
        var totalStates = 0
        for rule in compiler.rules {
            var dfa = RuleDFA()
            var ids: [[Int32]: Int32] = [:]
            var sets: [[Int32]] = []
            func intern(_ set: [Int32]) -> Int32 {
                if let id = ids[set] { return id }
                let id = Int32(sets.count)
                ids[set] = id
                sets.append(set)
                dfa.transitions.append(contentsOf: repeatElement(-1, count: numClasses))
                dfa.calls.append([])
                dfa.isFinal.append(set.contains(rule.end))
                return id
            }
            _ = intern(nfa.epsilonClosure([rule.start]))
            var moves = [[Int32]](repeating: [], count: numClasses)
            var next = 0
            while next < sets.count {
                totalStates += 1
                guard totalStates <= 500_000 else {
                    throw GrammarError(message: "the schema needs more than 500000 automaton states", pointer: "")
                }
                for c in 0..<numClasses { moves[c].removeAll(keepingCapacity: true) }
                var callMoves: [Int32: [Int32]] = [:]
                var numMoves = 0
                for state in sets[next] {
                    for edge in nfa.byteEdges[Int(state)] {
                        let classes = Int(byteClass[Int(edge.lo)])...Int(byteClass[Int(edge.hi)])
                        for c in classes { moves[c].append(edge.target) }
                        numMoves += classes.count
                    }
                    for edge in nfa.callEdges[Int(state)] { callMoves[edge.rule, default: []].append(edge.target) }
                    numMoves += nfa.callEdges[Int(state)].count
                }
                try budget.spend(numClasses + sets[next].count + numMoves)
                for (c, target) in try nfa.closedTargets(of: moves, budget: &budget, intern: intern).enumerated() {
                    if let target { dfa.transitions[next * numClasses + c] = target }
                }
                for (callee, targets) in callMoves.sorted(by: { $0.key < $1.key }) {
                    let closure = nfa.epsilonClosure(targets)
                    try budget.spend(closure.count)
                    dfa.calls[next].append((callee, intern(closure)))
                }
                next += 1
            }
            ruleDFAs.append(dfa)
        }

        // Productive rules (can match something), then live states (can reach the end of their rule).
        var productive = [Bool](repeating: false, count: ruleDFAs.count)
        var live: [[Bool]] = ruleDFAs.map { $0.isFinal }
        var changed = true
        while changed {
            changed = false
            for (r, dfa) in ruleDFAs.enumerated() {
                let count = dfa.isFinal.count
                for state in (0..<count).reversed() where !live[r][state] {
                    var isLive = false
                    for c in 0..<numClasses {
                        let target = dfa.transitions[state * numClasses + c]
                        if target >= 0, live[r][Int(target)] { isLive = true; break }
                    }
                    if !isLive {
                        isLive = dfa.calls[state].contains { productive[Int($0.rule)] && live[r][Int($0.target)] }
                    }
                    if isLive { live[r][state] = true; changed = true }
                }
                if !productive[r], live[r][0] { productive[r] = true; changed = true }
            }
        }
        guard productive[0] else { throw GrammarError(message: "the schema admits no value the grammar can produce", pointer: "") }

        // Number the live states of every rule in one space.
        var offsets: [Int32] = []
        var newIds: [[Int32]] = []
        var numStates: Int32 = 0
        for r in ruleDFAs.indices {
            offsets.append(numStates)
            var ids = [Int32](repeating: -1, count: live[r].count)
            for state in live[r].indices where live[r][state] { ids[state] = numStates; numStates += 1 }
            newIds.append(ids)
        }
        var transitions = [Int32](repeating: -1, count: Int(numStates) * numClasses)
        var flags = [UInt8](repeating: 0, count: Int(numStates))
        var callOffsets: [Int32] = [0], callRule: [Int32] = [], callReturn: [Int32] = []
        var ruleStart = [Int32](repeating: -1, count: ruleDFAs.count)
        for (r, dfa) in ruleDFAs.enumerated() {
            if productive[r] { ruleStart[r] = newIds[r][0] }
            for state in live[r].indices where live[r][state] {
                let id = Int(newIds[r][state])
                var flag: UInt8 = dfa.isFinal[state] ? Self.flagFinal : 0
                for c in 0..<numClasses {
                    let target = dfa.transitions[state * numClasses + c]
                    if target >= 0, live[r][Int(target)] {
                        transitions[id * numClasses + c] = newIds[r][Int(target)]
                        flag |= Self.flagBytes
                    }
                }
                for call in dfa.calls[state] where productive[Int(call.rule)] && live[r][Int(call.target)] {
                    callRule.append(call.rule)
                    callReturn.append(newIds[r][Int(call.target)])
                    flag |= Self.flagCalls
                }
                callOffsets.append(Int32(callRule.count))
                flags[id] = flag
            }
        }
        self.byteClass = byteClass
        self.numClasses = numClasses
        self.transitions = transitions
        self.flags = flags
        self.callOffsets = callOffsets
        self.callRule = callRule
        self.callReturn = callReturn
        self.ruleStart = ruleStart
        var selfLoopBytes = [UInt64](repeating: 0, count: Int(numStates) * 4)
        for state in 0..<Int(numStates) {
            for byte in 0..<256 where transitions[state * numClasses + Int(byteClass[byte])] == Int32(state) {
                selfLoopBytes[state * 4 + byte >> 6] |= 1 << UInt64(byte & 63)
            }
        }
        self.selfLoopBytes = selfLoopBytes
        _ = classStart
    }

    /// Whether `bytes` is a complete value of this grammar.
    func accepts(_ bytes: [UInt8]) -> Bool {
        var state = GrammarState(tables: self)
        for byte in bytes where !state.advance(byte, tables: self) { return false }
        return state.isComplete
    }
}
