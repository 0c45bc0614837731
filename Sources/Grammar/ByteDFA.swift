/// A deterministic automaton over raw bytes (no rule calls), for the operations an NFA cannot do directly:
/// intersection (pattern ∩ length, enum ∩ type) and complement (object keys not among the listed names).
/// Always trimmed: every state can still reach a final state.
struct ByteDFA {
    /// state * 256 + byte -> next state, or -1.
    var transitions: [Int32]
    var isFinal: [Bool]
    var numStates: Int { isFinal.count }

    /// Determinizes a call-free fragment; nil when it contains a rule call.
    init?(_ nfa: NFA, _ fragment: Fragment, budget: inout DeterminizationBudget, stateLimit: Int = 100_000) throws(GrammarError) {
        for state in nfa.reachable(from: fragment.start) where !nfa.callEdges[Int(state)].isEmpty { return nil }
        var ids: [[Int32]: Int32] = [:]
        var sets: [[Int32]] = []
        var transitions: [Int32] = []
        var isFinal: [Bool] = []
        func intern(_ set: [Int32]) -> Int32 {
            if let id = ids[set] { return id }
            let id = Int32(sets.count)
            ids[set] = id
            sets.append(set)
            transitions.append(contentsOf: repeatElement(-1, count: 256))
            isFinal.append(set.contains(fragment.end))
            return id
        }
        _ = intern(nfa.epsilonClosure([fragment.start]))
        var next = 0
        var moves = [[Int32]](repeating: [], count: 256)
        while next < sets.count {
            guard sets.count <= stateLimit else {
                throw GrammarError(message: "the schema needs more than \(stateLimit) automaton states", pointer: "")
            }
            for byte in 0..<256 { moves[byte].removeAll(keepingCapacity: true) }
            var numMoves = 0
            for state in sets[next] {
                for edge in nfa.byteEdges[Int(state)] {
                    for byte in Int(edge.lo)...Int(edge.hi) { moves[byte].append(edge.target) }
                    numMoves += Int(edge.hi) - Int(edge.lo) + 1
                }
            }
            try budget.spend(256 + sets[next].count + numMoves)
            for (byte, target) in try nfa.closedTargets(of: moves, budget: &budget, intern: intern).enumerated() {
                if let target { transitions[next * 256 + byte] = target }
            }
            next += 1
        }
        self.transitions = transitions
        self.isFinal = isFinal
        trim()
    }

    private init(transitions: [Int32], isFinal: [Bool]) {
        self.transitions = transitions
        self.isFinal = isFinal
    }

    /// Strings both accept.
    func intersection(_ other: ByteDFA, budget: inout DeterminizationBudget) throws(GrammarError) -> ByteDFA {
        var ids: [Int: Int32] = [:]
        var pairs: [(Int32, Int32)] = []
        var transitions: [Int32] = []
        var isFinal: [Bool] = []
        func intern(_ a: Int32, _ b: Int32) -> Int32 {
            let key = Int(a) * other.numStates + Int(b)
            if let id = ids[key] { return id }
            let id = Int32(pairs.count)
            ids[key] = id
            pairs.append((a, b))
            transitions.append(contentsOf: repeatElement(-1, count: 256))
            isFinal.append(self.isFinal[Int(a)] && other.isFinal[Int(b)])
            return id
        }
        guard numStates > 0, other.numStates > 0 else { return ByteDFA(transitions: [], isFinal: []) }
        _ = intern(0, 0)
        var next = 0
        while next < pairs.count {
            let (a, b) = pairs[next]
            try budget.spend(256)
            for byte in 0..<256 {
                let ta = self.transitions[Int(a) * 256 + byte], tb = other.transitions[Int(b) * 256 + byte]
                if ta >= 0, tb >= 0 { transitions[next * 256 + byte] = intern(ta, tb) }
            }
            next += 1
        }
        var result = ByteDFA(transitions: transitions, isFinal: isFinal)
        result.trim()
        return result
    }

    /// Strings this does not accept (over all byte strings; intersect the result with something useful).
    func complement() -> ByteDFA {
        let sink = Int32(max(numStates, 1))
        var transitions = self.transitions
        var isFinal = self.isFinal.map { !$0 }
        if numStates == 0 { transitions = Array(repeating: -1, count: 256); isFinal = [true] }
        transitions.append(contentsOf: repeatElement(-1, count: 256))
        isFinal.append(true)
        for index in transitions.indices where transitions[index] < 0 { transitions[index] = sink }
        if numStates == 0 { return ByteDFA(transitions: transitions, isFinal: isFinal) }
        var result = ByteDFA(transitions: transitions, isFinal: isFinal)
        result.trim()
        return result
    }

    /// Removes states that cannot reach a final state (keeping state 0 first when it survives).
    private mutating func trim() {
        let count = numStates
        guard count > 0 else { return }
        var predecessors = [[Int32]](repeating: [], count: count)
        for state in 0..<count {
            for byte in 0..<256 {
                let target = transitions[state * 256 + byte]
                if target >= 0 { predecessors[Int(target)].append(Int32(state)) }
            }
        }
        var live = isFinal
        var stack = (0..<count).filter { isFinal[$0] }
        while let state = stack.popLast() {
            for source in predecessors[state] where !live[Int(source)] {
                live[Int(source)] = true
                stack.append(Int(source))
            }
        }
        guard live[0] else { transitions = []; isFinal = []; return }
        var newId = [Int32](repeating: -1, count: count)
        var numLive: Int32 = 0
        for state in 0..<count where live[state] { newId[state] = numLive; numLive += 1 }
        var newTransitions = [Int32](repeating: -1, count: Int(numLive) * 256)
        var newFinal = [Bool](repeating: false, count: Int(numLive))
        for state in 0..<count where live[state] {
            let id = Int(newId[state])
            newFinal[id] = isFinal[state]
            for byte in 0..<256 {
                let target = transitions[state * 256 + byte]
                if target >= 0 { newTransitions[id * 256 + byte] = newId[Int(target)] }
            }
        }
        transitions = newTransitions
        isFinal = newFinal
    }

    /// Emits this automaton into `nfa` as a fragment (a fragment matching nothing when the language is empty).
    func emit(into nfa: inout NFA) -> Fragment {
        guard numStates > 0 else { return nfa.nothing() }
        let base = nfa.numStates
        for _ in 0..<numStates { _ = nfa.addState() }
        let end = nfa.addState()
        for state in 0..<numStates {
            let from = Int32(base + state)
            if isFinal[state] { nfa.epsilon(from, end) }
            var byte = 0
            while byte < 256 {
                let target = transitions[state * 256 + byte]
                var last = byte
                while last + 1 < 256, transitions[state * 256 + last + 1] == target { last += 1 }
                if target >= 0 { nfa.edge(from, UInt8(byte), UInt8(last), Int32(base) + target) }
                byte = last + 1
            }
        }
        return Fragment(start: Int32(base), end: end)
    }
}
