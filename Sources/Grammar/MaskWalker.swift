/// Computes the allowed tokens at a grammar position by walking the vocabulary trie depth first: a trie node's
/// byte is applied to the parses of its parent; a prefix no parse survives prunes the whole subtree.
///
/// Parses are (top state, parent frame) pairs over a frame pool that grows with calls and is cut back when the
/// walk backs up, so the common step (a byte inside one rule) costs a table lookup and no allocation.
struct MaskWalker {
    private struct Parse: Equatable {
        var state: Int32
        var parent: Int32  // index into the frame pool, -1 at the bottom
    }

    private let tables: GrammarTables
    private var frameState: [Int32] = []
    private var frameParent: [Int32] = []
    private var frameDepth: [Int32] = []
    private var parses: [Parse] = []
    private var complete = false
    private var levelStart: [Int]
    private var levelEnd: [Int]
    private var levelFrames: [Int]

    init(tables: GrammarTables, maxTokenLength: Int) {
        self.tables = tables
        levelStart = [Int](repeating: 0, count: maxTokenLength + 2)
        levelEnd = levelStart
        levelFrames = levelStart
        parses.reserveCapacity(1024)
        frameState.reserveCapacity(1024)
        frameParent.reserveCapacity(1024)
        frameDepth.reserveCapacity(1024)
    }

    /// Sets the bit of every token of `trie` that `state` can consume whole (EOS is the caller's business).
    mutating func fill(_ mask: inout TokenMask, from state: GrammarState, trie: TokenTrie) {
        parses.removeAll(keepingCapacity: true)
        frameState.removeAll(keepingCapacity: true)
        frameParent.removeAll(keepingCapacity: true)
        frameDepth.removeAll(keepingCapacity: true)
        for stack in state.stacks {
            var parent: Int32 = -1
            for frame in stack.dropLast() { parent = push(frame, parent) }
            parses.append(Parse(state: stack[stack.count - 1], parent: parent))
        }
        levelStart[0] = 0
        levelEnd[0] = parses.count
        levelFrames[0] = frameState.count
        let numClasses = tables.numClasses
        let needsExpansion = GrammarTables.flagFinal | GrammarTables.flagCalls
        var node = 0
        let numNodes = trie.numNodes
        while node < numNodes {
            let depth = Int(trie.depth[node])
            let from = levelStart[depth - 1], to = levelEnd[depth - 1]
            parses.removeSubrange(to...)
            if frameState.count > levelFrames[depth - 1] {
                let keep = levelFrames[depth - 1]
                frameState.removeSubrange(keep...)
                frameParent.removeSubrange(keep...)
                frameDepth.removeSubrange(keep...)
            }
            complete = false
            let byteClass = Int(tables.byteClass[Int(trie.byte[node])])
            for index in from..<to {
                let parse = parses[index]
                let next = tables.transitions[Int(parse.state) * numClasses + byteClass]
                if next < 0 { continue }
                if tables.flags[Int(next)] & needsExpansion == 0 {
                    parses.append(Parse(state: next, parent: parse.parent))
                } else {
                    expand(next, parse.parent, pushes: 0, levelStart: to)
                }
            }
            if parses.count == to && !complete {
                node = Int(trie.subtreeEnd[node])
                continue
            }
            levelStart[depth] = to
            levelEnd[depth] = parses.count
            levelFrames[depth] = frameState.count
            let end = Int(trie.subtreeEnd[node])
            // Every descendant byte loops on some parse's state: the whole subtree is allowed without walking it.
            var skip = false
            if end > node + 1 {
                for index in to..<parses.count {
                    let loop = Int(parses[index].state) * 4, below = node * 4
                    if trie.descendantBytes[below] & ~tables.selfLoopBytes[loop] == 0,
                       trie.descendantBytes[below + 1] & ~tables.selfLoopBytes[loop + 1] == 0,
                       trie.descendantBytes[below + 2] & ~tables.selfLoopBytes[loop + 2] == 0,
                       trie.descendantBytes[below + 3] & ~tables.selfLoopBytes[loop + 3] == 0 {
                        skip = true
                        break
                    }
                }
            }
            let tokenStart = Int(trie.tokenOffsets[node]), tokenEnd = Int(trie.tokenOffsets[skip ? end : node + 1])
            for index in tokenStart..<tokenEnd { mask.insert(Int(trie.tokenIds[index])) }
            node = skip ? end : node + 1
        }
    }

    private mutating func push(_ state: Int32, _ parent: Int32) -> Int32 {
        frameState.append(state)
        frameParent.append(parent)
        frameDepth.append(parent < 0 ? 1 : frameDepth[Int(parent)] + 1)
        return Int32(frameState.count - 1)
    }

    /// As GrammarState.expand, on (state, parent frame) pairs.
    private mutating func expand(_ state: Int32, _ parent: Int32, pushes: Int, levelStart: Int) {
        let flags = tables.flags[Int(state)]
        if flags & GrammarTables.flagBytes != 0 {
            let parse = Parse(state: state, parent: parent)
            if !parses[levelStart...].contains(parse) { parses.append(parse) }
        }
        if flags & GrammarTables.flagCalls != 0, pushes <= tables.numRules,
           (parent < 0 ? 0 : Int(frameDepth[Int(parent)])) + 1 < GrammarState.maxDepth {
            for edge in Int(tables.callOffsets[Int(state)])..<Int(tables.callOffsets[Int(state) + 1]) {
                let frame = push(tables.callReturn[edge], parent)
                expand(tables.ruleStart[Int(tables.callRule[edge])], frame, pushes: pushes + 1, levelStart: levelStart)
            }
        }
        if flags & GrammarTables.flagFinal != 0 {
            if parent < 0 {
                complete = true
            } else {
                expand(frameState[Int(parent)], frameParent[Int(parent)], pushes: pushes, levelStart: levelStart)
            }
        }
    }
}
