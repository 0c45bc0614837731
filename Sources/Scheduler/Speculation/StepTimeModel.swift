/// Step time as a function of the step's rows (tokens in the forward), measured online by the engine.
/// One exponentially weighted mean per row count; between measured counts the time is interpolated, past the
/// largest measured count it is assumed to stay flat — optimistic, so a larger step gets tried and measured
/// instead of never being explored. A mean not refreshed for `maxAge` steps counts as unmeasured again, so one
/// unlucky early sample (a cold cache, a busy machine) cannot keep a step size out of use for good. Time depends
/// on the machine, the model and the context length, which is why it is measured rather than configured.
public struct StepTimeModel: Sendable {
    private var seconds: [Double?]
    private var lastRecorded: [Int]
    private var numRecords = 0
    static let weight = 0.2
    static let maxAge = 64

    public init(maxRows: Int) {
        seconds = Array(repeating: nil, count: max(1, maxRows) + 1)
        lastRecorded = Array(repeating: 0, count: seconds.count)
    }

    public mutating func record(rows: Int, seconds elapsed: Double) {
        guard rows > 0, rows < seconds.count, elapsed > 0 else { return }
        numRecords += 1
        if let old = measured(rows) {
            seconds[rows] = old + Self.weight * (elapsed - old)
        } else {
            seconds[rows] = elapsed
        }
        lastRecorded[rows] = numRecords
    }

    /// Estimated seconds of a step of `rows` rows; nil before anything was measured.
    public func estimate(rows: Int) -> Double? {
        let rows = min(max(1, rows), seconds.count - 1)
        if let known = measured(rows) { return known }
        let below = (1..<rows).reversed().first { measured($0) != nil }
        let above = ((rows + 1)..<seconds.count).first { measured($0) != nil }
        switch (below, above) {
        case let (b?, a?):
            let tb = measured(b)!, ta = measured(a)!
            return tb + (ta - tb) * Double(rows - b) / Double(a - b)
        case let (b?, nil): return measured(b)!
        case let (nil, a?): return measured(a)!
        case (nil, nil): return nil
        }
    }

    private func measured(_ rows: Int) -> Double? {
        numRecords - lastRecorded[rows] <= Self.maxAge ? seconds[rows] : nil
    }
}
