/// Computes the allowed tokens at a grammar position by walking the vocabulary trie depth first: a trie node's
/// byte is applied to the parses of its parent; a prefix no parse survives prunes the whole subtree, and a subtree
/// whose bytes all loop on a parse's state (plain characters inside a string) is accepted without walking it.
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

    init(tables: GrammarTables) { self.tables = tables }

    /// Sets the bit of every token of `trie` that `state` can consume whole (EOS is the caller's business).
    mutating func fill(_ mask: inout TokenMask, from state: GrammarState, trie: TokenTrie) {
        for stack in state.stacks {
            var parent: Int32 = -1
            for frame in stack.dropLast() { parent = push(frame, parent) }
            parses.append(Parse(state: stack[stack.count - 1], parent: parent))
        }
        let levels = trie.maxDepth + 2
        var levelStart = [Int](repeating: 0, count: levels), levelEnd = levelStart, levelFrames = levelStart
        levelEnd[0] = parses.count
        levelFrames[0] = frameState.count
        let numClasses = tables.numClasses
        let needsExpansion = GrammarTables.flagFinal | GrammarTables.flagCalls
        let numNodes = trie.numNodes
        trie.nodes.withUnsafeBufferPointer { nodes in
        trie.descendantBytes.withUnsafeBufferPointer { below in
        trie.tokenIds.withUnsafeBufferPointer { tokenIds in
        tables.transitions.withUnsafeBufferPointer { transitions in
        tables.flags.withUnsafeBufferPointer { flags in
        tables.selfLoopBytes.withUnsafeBufferPointer { loops in
        tables.byteClass.withUnsafeBufferPointer { byteClass in
        mask.words.withUnsafeMutableBufferPointer { words in
            var node = 0
            while node < numNodes {
                let trieNode = nodes[node]
                let depth = Int(trieNode.depth)
                let from = levelStart[depth - 1], to = levelEnd[depth - 1]
                if parses.count > to { parses.removeSubrange(to...) }
                if frameState.count > levelFrames[depth - 1] { truncateFrames(levelFrames[depth - 1]) }
                complete = false
                let column = Int(byteClass[Int(trieNode.byte)])
                for index in from..<to {
                    let parse = parses[index]
                    let next = transitions[Int(parse.state) * numClasses + column]
                    if next < 0 { continue }
                    if flags[Int(next)] & needsExpansion == 0 {
                        parses.append(Parse(state: next, parent: parse.parent))
                    } else {
                        expand(next, parse.parent, pushes: 0, levelStart: to)
                    }
                }
                let end = Int(trieNode.subtreeEnd)
                if parses.count == to && !complete {
                    node = end
                    continue
                }
                levelStart[depth] = to
                levelEnd[depth] = parses.count
                levelFrames[depth] = frameState.count
                // Every descendant byte loops on some parse's state: the whole subtree is allowed.
                var skip = false
                if end > node + 1 {
                    let b = node * 4
                    for index in to..<parses.count {
                        let l = Int(parses[index].state) * 4
                        if below[b] & ~loops[l] | below[b + 1] & ~loops[l + 1] | below[b + 2] & ~loops[l + 2] | below[b + 3] & ~loops[l + 3] == 0 {
                            skip = true
                            break
                        }
                    }
                }
                let tokenEnd = skip ? (end < numNodes ? Int(nodes[end].tokenStart) : tokenIds.count)
                                    : (node + 1 < numNodes ? Int(nodes[node + 1].tokenStart) : tokenIds.count)
                for index in Int(trieNode.tokenStart)..<tokenEnd {
                    let token = Int(tokenIds[index])
                    words[token >> 6] |= 1 << UInt64(token & 63)
                }
                node = skip ? end : node + 1
            }
        }
        }
        }
        }
        }
        }
        }
        }
    }

    private mutating func truncateFrames(_ count: Int) {
        frameState.removeSubrange(count...)
        frameParent.removeSubrange(count...)
        frameDepth.removeSubrange(count...)
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
