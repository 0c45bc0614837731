extension Scheduler {
    /// Broken invariants, described; empty when the state is consistent. Checked by the tests after every
    /// operation; cheap enough for a debug assertion in the engine.
    /// - every block is owned by exactly one running sequence or the free list;
    /// - waiting sequences hold no blocks and are queued exactly once; running ones are listed exactly once;
    /// - a running sequence's blocks cover its cached tokens and its prefill target;
    /// - limits hold: running <= maxNumSeqs, generated < maxNewTokens, cached <= tokens.
    public func invariantViolations() -> [String] {
        var problems: [String] = []
        var owner: [SequenceID?] = Array(repeating: nil, count: allocator.numBlocks)
        var seen = Array(repeating: false, count: allocator.numBlocks)
        func claim(_ block: Int, by id: SequenceID?) {
            let name = id.map { "sequence \($0)" } ?? "free list"
            guard block >= 0 && block < allocator.numBlocks else {
                problems.append("block \(block) of \(name) is out of range")
                return
            }
            if seen[block] {
                let other = owner[block].map { "sequence \($0)" } ?? "free list"
                problems.append("block \(block) owned by both \(other) and \(name)")
            }
            seen[block] = true
            owner[block] = id
        }
        for block in allocator.freeBlocks { claim(block, by: nil) }
        for (id, sequence) in sequences.sorted(by: { $0.key < $1.key }) {
            for block in sequence.blockTable { claim(block, by: id) }
            if sequence.isRunning {
                let needed = allocator.blocksNeeded(numTokens: max(sequence.numCachedTokens, sequence.numPrefillTokens))
                if sequence.blockTable.count < needed {
                    problems.append("sequence \(id) holds \(sequence.blockTable.count) blocks, needs \(needed)")
                }
            } else if !sequence.blockTable.isEmpty {
                problems.append("waiting sequence \(id) holds \(sequence.blockTable.count) blocks")
            }
            if sequence.numGeneratedTokens >= sequence.maxNewTokens {
                problems.append("sequence \(id) generated \(sequence.numGeneratedTokens) of \(sequence.maxNewTokens) and is still live")
            }
            if sequence.numCachedTokens > sequence.tokens.count {
                problems.append("sequence \(id) caches \(sequence.numCachedTokens) of \(sequence.tokens.count) tokens")
            }
        }
        for block in 0..<allocator.numBlocks where !seen[block] {
            problems.append("block \(block) leaked: owned by no sequence and not free")
        }

        let runningSet = Set(running)
        let waitingIDs = waiting.ids
        if runningSet.count != running.count { problems.append("running list has duplicates: \(running)") }
        if Set(waitingIDs).count != waitingIDs.count { problems.append("waiting queue has duplicates: \(waitingIDs)") }
        let expectedRunning = Set(sequences.values.filter(\.isRunning).map(\.id))
        let expectedWaiting = Set(sequences.values.filter { !$0.isRunning }.map(\.id))
        if runningSet != expectedRunning { problems.append("running list \(running) != running sequences \(expectedRunning.sorted())") }
        if Set(waitingIDs) != expectedWaiting { problems.append("waiting queue \(waitingIDs) != waiting sequences \(expectedWaiting.sorted())") }
        if running.count > config.maxNumSeqs { problems.append("\(running.count) running > maxNumSeqs \(config.maxNumSeqs)") }
        return problems
    }
}
