import Foundation

/// cos/sin of the rotary angles, [maxPositions, headDim / 2], computed once per model.
/// Angles follow Hugging Face: invFreq[i] = 1 / theta^(2i / headDim), angle = position · invFreq[i] in f32.
struct RopeTable: Sendable {
    let halfDim: Int
    let maxPositions: Int
    let cos: [Float]
    let sin: [Float]

    init(headDim: Int, maxPositions: Int, theta: Float) {
        halfDim = headDim / 2
        self.maxPositions = maxPositions
        let invFreq = (0..<halfDim).map { i in 1 / Float(pow(Double(theta), Double(2 * i) / Double(headDim))) }
        var cosTable = [Float](repeating: 0, count: maxPositions * halfDim)
        var sinTable = cosTable
        for p in 0..<maxPositions {
            for i in 0..<halfDim {
                let angle = Double(Float(p) * invFreq[i])
                cosTable[p * halfDim + i] = Float(Foundation.cos(angle))
                sinTable[p * halfDim + i] = Float(Foundation.sin(angle))
            }
        }
        cos = cosTable
        sin = sinTable
    }
}

extension Kernels {
    /// Rotates `numHeads` heads of one token in place, rotate-half layout: dimension i pairs with i + headDim/2.
    @inline(__always)
    static func applyRope(_ x: UnsafeMutablePointer<Float>, numHeads: Int, headDim: Int, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>) {
        let half = headDim / 2
        for h in 0..<numHeads {
            let head = x + h * headDim
            for i in 0..<half {
                let a = head[i], b = head[i + half]
                head[i] = a * cos[i] - b * sin[i]
                head[i + half] = b * cos[i] + a * sin[i]
            }
        }
    }
}
