import Scheduler

extension EngineLoop {
    /// Drafts for the next plan: each decoding sequence's proposal, trimmed to the lengths that maximise
    /// expected tokens per second for this step (`DraftLengthPlanner`, on step times measured here).
    func proposeDrafts() -> [SequenceID: [Int]] {
        guard speculation.maxDraftTokens > 0 else { return [:] }
        let decoding = scheduler.decodingIDs
        var proposals: [SequenceID: [Int]] = [:]
        var candidates: [DraftLengthPlanner.Candidate] = []
        for id in decoding where active[id]?.speculation != nil {
            let draft = active[id]!.speculation!.propose(maxTokens: speculation.maxDraftTokens)
            guard !draft.isEmpty else { continue }
            proposals[id] = draft
            candidates.append(.init(id: id, numOffered: draft.count, acceptance: active[id]!.speculation!.acceptance))
        }
        // A draft model offers the most drafts to every sequence it drafts for; the plan holds placeholders
        // that `DraftModelProposer.fill` replaces once the scheduler has given the draft positions blocks.
        if let draftModel {
            for id in decoding where draftModel.isDrafting(id) && proposals[id] == nil {
                proposals[id] = Array(repeating: 0, count: speculation.maxDraftTokens)
                candidates.append(.init(id: id, numOffered: speculation.maxDraftTokens, acceptance: draftModel.acceptance(of: id)!))
            }
        }
        guard !candidates.isEmpty else { return [:] }
        guard speculation.isAdaptive else { return proposals }
        let modelDrafted = draftModel == nil ? [] : candidates.map(\.id).filter { draftModel!.isDrafting($0) }
        let budget = scheduler.config.maxNumBatchedTokens
        let baseRows = decoding.count + min(budget - decoding.count, scheduler.numTokensAwaitingPrefill)
        let lengths = DraftLengthPlanner.choose(
            candidates, numDecodes: decoding.count, baseRows: baseRows, maxDraftRows: budget - baseRows,
            timeModel: stepTimes,
            extraSeconds: { [draftModel] _, longest in
                draftModel?.estimatedSeconds(modelDrafted, maxPerSequence: longest) ?? 0
            })
        var drafts: [SequenceID: [Int]] = [:]
        for (id, count) in lengths where count > 0 { drafts[id] = Array(proposals[id]!.prefix(count)) }
        return drafts
    }
}
