/// Where a match is: every live parse as a stack of grammar states (bottom first; the top is the state in the
/// innermost rule, the ones below are where each caller resumes). Kept expanded: every top state consumes bytes
/// (calls pushed, finished rules popped), and `isComplete` says whether the whole value may end here.
/// Sorted and unique, so equal positions compare and hash equal (the key of the mask cache).
struct GrammarState: Hashable, Sendable {
    /// Deepest nesting followed (JSON nesting through recursive rules or the any-value rule).
    static let maxDepth = 512

    private(set) var stacks: [[Int32]]
    private(set) var isComplete: Bool

    init(tables: GrammarTables) {
        var stacks: [[Int32]] = []
        var isComplete = false
        Self.expand([tables.ruleStart[0]], pushes: 0, tables: tables, into: &stacks, isComplete: &isComplete)
        self.stacks = Self.normalized(stacks)
        self.isComplete = isComplete
    }

    /// Consumes one byte; false (and unchanged) when no parse can take it.
    mutating func advance(_ byte: UInt8, tables: GrammarTables) -> Bool {
        let byteClass = Int(tables.byteClass[Int(byte)])
        var next: [[Int32]] = []
        var complete = false
        for stack in stacks {
            let target = tables.transitions[Int(stack[stack.count - 1]) * tables.numClasses + byteClass]
            guard target >= 0 else { continue }
            var moved = stack
            moved[moved.count - 1] = target
            Self.expand(moved, pushes: 0, tables: tables, into: &next, isComplete: &complete)
        }
        guard !next.isEmpty || complete else { return false }
        stacks = Self.normalized(next)
        isComplete = complete
        return true
    }

    private static func normalized(_ stacks: [[Int32]]) -> [[Int32]] {
        guard stacks.count > 1 else { return stacks }
        var sorted = stacks.sorted { $0.lexicographicallyPrecedes($1) }
        var write = 1
        for read in 1..<sorted.count where sorted[read] != sorted[write - 1] {
            sorted[write] = sorted[read]
            write += 1
        }
        sorted.removeLast(sorted.count - write)
        return sorted
    }

    /// Follows calls and returns from the top of `stack` until every parse sits on a byte-consuming state.
    /// `pushes` counts calls made without consuming input: more than there are rules means left recursion,
    /// which adds no strings, so that path is dropped.
    private static func expand(_ stack: [Int32], pushes: Int, tables: GrammarTables, into result: inout [[Int32]], isComplete: inout Bool) {
        let top = Int(stack[stack.count - 1])
        let flags = tables.flags[top]
        if flags & GrammarTables.flagBytes != 0 { result.append(stack) }
        if flags & GrammarTables.flagCalls != 0, pushes <= tables.numRules, stack.count < maxDepth {
            for edge in Int(tables.callOffsets[top])..<Int(tables.callOffsets[top + 1]) {
                var called = stack
                called[called.count - 1] = tables.callReturn[edge]
                called.append(tables.ruleStart[Int(tables.callRule[edge])])
                expand(called, pushes: pushes + 1, tables: tables, into: &result, isComplete: &isComplete)
            }
        }
        if flags & GrammarTables.flagFinal != 0 {
            if stack.count == 1 {
                isComplete = true
            } else {
                expand(Array(stack.dropLast()), pushes: pushes, tables: tables, into: &result, isComplete: &isComplete)
            }
        }
    }
}
