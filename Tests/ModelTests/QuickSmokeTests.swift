import XCTest
@testable import Model

final class QuickSmokeTests: XCTestCase {
    func testCapitalOfFrance() throws {
        let model = try SharedModels.smol.get()
        let out = try generateGreedy(model: model, prompt: [504, 3575, 282, 4649, 314], maxNewTokens: 8, stopTokenIds: [])
        print("GREEDY", out.tokens)
    }
}
