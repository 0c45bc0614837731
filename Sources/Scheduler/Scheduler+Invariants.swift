extension Scheduler {
    /// Broken invariants, described; empty when the state is consistent. Checked by the tests after every
    /// operation; cheap enough for a debug assertion in the engine.
    /// - each block's reference count equals the number of block tables that list it, and a block is in the
    ///   free queue exactly when that count is zero; no table lists a block twice;
    /// - the prefix cache's table and the blocks' hashes agree; a running sequence has offered every block its
    ///   cache fills to the cache, and each cached block it lists is cached as its own tokens' hash;
    /// - waiting sequences hold no blocks and are queued exactly once; running ones are listed exactly once;
    /// - a running sequence's blocks cover its cached tokens and its prefill target;
    /// - limits hold: running <= maxNumSeqs, generated < maxNewTokens, cached <= tokens.
    public func invariantViolations() -> [String] {
        var problems: [String] = []
        var listings = Array(repeating: 0, count: pool.numBlocks)
        for (id, sequence) in sequences.sorted(by: { $0.key < $1.key }) {
            if Set(sequence.blockTable).count != sequence.blockTable.count {
                problems.append("sequence \(id) lists a block twice: \(sequence.blockTable)")
            }
            for block in sequence.blockTable {
                guard block >= 0 && block < pool.numBlocks else {
                    problems.append("block \(block) of sequence \(id) is out of range")
                    continue
                }
                listings[block] += 1
            }
            if sequence.isRunning {
                var copy = sequence
                let hashes = copy.blockHashes(count: sequence.numFinalBlocks, blockSize: pool.blockSize)
                for (index, hash) in hashes.enumerated() {
                    let block = sequence.blockTable[index]
                    if let cached = pool.hash(of: block), cached != hash {
                        problems.append("sequence \(id) reads block \(block) at \(index), cached for other tokens")
                    }
                }
                if sequence.numFinalBlocks != sequence.numCachedTokens / pool.blockSize {
                    problems.append("sequence \(id) offered \(sequence.numFinalBlocks) blocks to the cache with \(sequence.numCachedTokens) tokens cached")
                }
                let needed = pool.blocksNeeded(numTokens: max(sequence.numCachedTokens, sequence.numPrefillTokens))
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
        let free = pool.freeBlocks
        if Set(free).count != free.count { problems.append("free queue lists a block twice: \(free)") }
        let isFree = Set(free)
        var numHashed = 0
        for block in 0..<pool.numBlocks {
            let count = pool.referenceCount(of: block)
            if count != listings[block] {
                problems.append("block \(block) has count \(count) but \(listings[block]) tables list it")
            }
            if isFree.contains(block) != (count == 0) {
                problems.append("block \(block) with count \(count) is \(isFree.contains(block) ? "" : "not ")free")
            }
            if let hash = pool.hash(of: block) {
                numHashed += 1
                if pool.cachedBlock(hash) != block { problems.append("block \(block)'s hash maps to \(String(describing: pool.cachedBlock(hash)))") }
            }
        }
        if numHashed != pool.numCachedBlocks {
            problems.append("\(pool.numCachedBlocks) hashes cached, \(numHashed) blocks have one")
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
