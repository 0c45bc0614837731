/// OpenAI's Predicted Outputs: the request's `prediction` (the text being edited) is the draft. It proposes
/// the prediction from a cursor that follows the output: while the output's new tokens equal the prediction
/// at the cursor, the cursor moves past them; after an edit diverged, it re-aligns on the longest suffix of
/// the output (up to `maxN` tokens, down to one) found in the prediction, preferring the first match at or
/// after the old cursor (edits move forward through the text).
///
/// Also keeps OpenAI's usage numbers: prediction tokens accepted by verification, and the rest (rejected).
public struct PredictionProposer: DraftProposer {
    public let prediction: [Int]
    public let maxN: Int
    /// Index in `prediction` where the output is expected to continue; nil when the output left it.
    private var cursor: Int? = 0
    /// Output tokens already accounted for in `cursor`.
    private var numOutputSeen = 0
    private var lastProposalStart = 0
    private var isAccepted: [Bool]
    public private(set) var numAcceptedTokens = 0

    public init(prediction: [Int], maxN: Int = 8) {
        self.prediction = prediction
        self.maxN = max(1, maxN)
        isAccepted = Array(repeating: false, count: prediction.count)
    }

    /// Prediction tokens that did not make it into the output (OpenAI's `rejected_prediction_tokens`).
    public var numRejectedTokens: Int { prediction.count - numAcceptedTokens }

    public mutating func propose(after tokens: [Int], numPromptTokens: Int, maxTokens: Int) -> [Int] {
        let output = tokens[min(tokens.count, numPromptTokens)...]
        advanceCursor(over: output)
        guard maxTokens > 0, let start = cursor, start < prediction.count else { return [] }
        lastProposalStart = start
        return Array(prediction[start..<min(prediction.count, start + maxTokens)])
    }

    public mutating func observe(numAccepted: Int) {
        let end = min(prediction.count, lastProposalStart + max(0, numAccepted))
        for index in lastProposalStart..<max(lastProposalStart, end) where !isAccepted[index] {
            isAccepted[index] = true
            numAcceptedTokens += 1
        }
    }

    private mutating func advanceCursor(over output: ArraySlice<Int>) {
        let new = output.dropFirst(numOutputSeen)
        numOutputSeen = output.count
        guard !new.isEmpty else { return }
        if let start = cursor, start + new.count <= prediction.count,
            prediction[start..<start + new.count].elementsEqual(new)
        {
            cursor = start + new.count
            return
        }
        cursor = realign(output, after: cursor ?? 0)
    }

    /// End of the longest suffix of `output` found in the prediction, first match ending at or after `after`
    /// preferred, else the last match; nil if not even the last token occurs.
    private func realign(_ output: ArraySlice<Int>, after: Int) -> Int? {
        for n in stride(from: min(maxN, output.count), through: 1, by: -1) {
            let suffix = output.suffix(n)
            var lastMatchEnd: Int?
            var start = 0
            while start + n <= prediction.count {
                if prediction[start..<start + n].elementsEqual(suffix) {
                    if start + n >= after { return start + n }
                    lastMatchEnd = start + n
                }
                start += 1
            }
            if let lastMatchEnd { return lastMatchEnd }
        }
        return nil
    }
}
