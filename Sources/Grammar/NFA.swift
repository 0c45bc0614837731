/// A Thompson NFA over bytes under construction. Every rule of a grammar lives in the one state pool; an edge
/// consumes a byte in a range, or calls a rule (the callee must match in full before the edge's target).
struct NFA {
    struct ByteEdge { var lo: UInt8; var hi: UInt8; var target: Int32 }
    struct CallEdge { var rule: Int32; var target: Int32 }

    var epsilons: [[Int32]] = []
    var byteEdges: [[ByteEdge]] = []
    var callEdges: [[CallEdge]] = []
    /// Past this many states the schema is refused (bounded repetitions expand into copies).
    var stateLimit = 2_000_000

    var numStates: Int { epsilons.count }

    mutating func addState() -> Int32 {
        epsilons.append([])
        byteEdges.append([])
        callEdges.append([])
        return Int32(epsilons.count - 1)
    }

    mutating func epsilon(_ from: Int32, _ to: Int32) { epsilons[Int(from)].append(to) }
    mutating func edge(_ from: Int32, _ lo: UInt8, _ hi: UInt8, _ to: Int32) {
        byteEdges[Int(from)].append(ByteEdge(lo: lo, hi: hi, target: to))
    }
}

/// A piece of NFA with one entry and one exit.
struct Fragment {
    var start: Int32
    var end: Int32
}

extension NFA {
    /// Matches only the empty string.
    mutating func empty() -> Fragment {
        let state = addState()
        return Fragment(start: state, end: state)
    }

    /// Matches nothing (an exit that cannot be reached).
    mutating func nothing() -> Fragment { Fragment(start: addState(), end: addState()) }

    mutating func literal<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> Fragment {
        let start = addState()
        var current = start
        for byte in bytes {
            let next = addState()
            edge(current, byte, byte, next)
            current = next
        }
        return Fragment(start: start, end: current)
    }

    mutating func literal(_ text: String) -> Fragment { literal(text.utf8) }

    /// One byte from each range in sequence (a UTF-8 sequence of byte ranges).
    mutating func byteRanges(_ ranges: [ClosedRange<UInt8>]) -> Fragment {
        let start = addState()
        var current = start
        for range in ranges {
            let next = addState()
            edge(current, range.lowerBound, range.upperBound, next)
            current = next
        }
        return Fragment(start: start, end: current)
    }

    mutating func sequence(_ parts: [Fragment]) -> Fragment {
        guard var result = parts.first else { return empty() }
        for part in parts.dropFirst() {
            epsilon(result.end, part.start)
            result.end = part.end
        }
        return result
    }

    mutating func alternation(_ parts: [Fragment]) -> Fragment {
        if parts.count == 1 { return parts[0] }
        let start = addState(), end = addState()
        for part in parts {
            epsilon(start, part.start)
            epsilon(part.end, end)
        }
        return Fragment(start: start, end: end)
    }

    mutating func optional(_ part: Fragment) -> Fragment {
        let start = addState(), end = addState()
        epsilon(start, part.start)
        epsilon(part.end, end)
        epsilon(start, end)
        return Fragment(start: start, end: end)
    }

    /// Zero or more.
    mutating func star(_ part: Fragment) -> Fragment {
        let hub = addState(), end = addState()
        epsilon(hub, part.start)
        epsilon(part.end, hub)
        epsilon(hub, end)
        return Fragment(start: hub, end: end)
    }

    /// `make()` repeated min...max times (nil: unbounded); each repetition is a fresh copy.
    mutating func repeated(min: Int, max: Int?, _ make: (inout NFA) throws(GrammarError) -> Fragment) throws(GrammarError) -> Fragment {
        var parts: [Fragment] = []
        for _ in 0..<min { parts.append(try make(&self)) }
        if let max {
            guard max > min else { return sequence(parts) }
            // a (b (c)?)? : each optional copy may end the run.
            let end = addState()
            let start = addState()
            var current = start
            for _ in min..<max {
                let copy = try make(&self)
                epsilon(current, copy.start)
                epsilon(current, end)
                current = copy.end
            }
            epsilon(current, end)
            parts.append(Fragment(start: start, end: end))
        } else {
            parts.append(star(try make(&self)))
        }
        return sequence(parts)
    }

    mutating func call(_ rule: Int) -> Fragment {
        let start = addState(), end = addState()
        callEdges[Int(start)].append(CallEdge(rule: Int32(rule), target: end))
        return Fragment(start: start, end: end)
    }

    /// `states` and every state reachable from them through epsilon edges, sorted (a DFA state's identity).
    func epsilonClosure(_ states: [Int32]) -> [Int32] {
        var seen = Set(states)
        var stack = states
        while let state = stack.popLast() {
            for target in epsilons[Int(state)] where seen.insert(target).inserted { stack.append(target) }
        }
        return seen.sorted()
    }

    /// The subset construction's step for one DFA state: per symbol, the state its moves lead to (nil for none) —
    /// their epsilon closure, numbered by `intern`. Symbols with the same moves share one closure.
    func closedTargets(
        of moves: [[Int32]], budget: inout DeterminizationBudget, intern: ([Int32]) -> Int32
    ) throws(GrammarError) -> [Int32?] {
        var closed: [[Int32]: Int32] = [:]
        var targets = [Int32?](repeating: nil, count: moves.count)
        for (symbol, states) in moves.enumerated() where !states.isEmpty {
            if let known = closed[states] {
                targets[symbol] = known
            } else {
                let closure = epsilonClosure(states)
                try budget.spend(closure.count)
                let target = intern(closure)
                closed[states] = target
                targets[symbol] = target
            }
        }
        return targets
    }

    /// Every state reachable from `start` (through all edges, calls included).
    func reachable(from start: Int32) -> [Int32] {
        var seen = Set<Int32>([start])
        var stack = [start]
        var order: [Int32] = []
        while let state = stack.popLast() {
            order.append(state)
            let index = Int(state)
            for target in epsilons[index] where seen.insert(target).inserted { stack.append(target) }
            for edge in byteEdges[index] where seen.insert(edge.target).inserted { stack.append(edge.target) }
            for edge in callEdges[index] where seen.insert(edge.target).inserted { stack.append(edge.target) }
        }
        return order
    }
}
