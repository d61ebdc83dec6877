import Foundation
import Testing

@testable import PulseEmbeddingKernels

/// The SIMD kernels against plain scalar/libm arithmetic.
@Suite struct KernelTests {
    @Test(arguments: [(1, 5, 20), (6, 16, 16), (7, 37, 33), (13, 400, 48), (100, 384, 64)])
    func packedLinearMatchesNaiveMatmul(rows: Int, inFeatures: Int, outFeatures: Int) {
        var generator = SplitMix(seed: UInt64(rows * 1000 + inFeatures))
        let weight = (0..<(outFeatures * inFeatures)).map { _ in generator.nextFloat() }
        let bias = (0..<outFeatures).map { _ in generator.nextFloat() }
        let input = (0..<(paddedRows(rows) * inFeatures)).map { _ in generator.nextFloat() }
        let linear = PackedLinear(weight: weight, bias: bias, outFeatures: outFeatures, inFeatures: inFeatures)
        var output = [Float](repeating: .nan, count: paddedRows(rows) * linear.paddedOutFeatures)
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                linear.apply(input: x.baseAddress!, inputStride: inFeatures, rows: rows, output: y.baseAddress!, outputStride: linear.paddedOutFeatures)
            }
        }
        var worst: Double = 0
        for r in 0..<rows {
            for n in 0..<outFeatures {
                var expected = Double(bias[n])
                for k in 0..<inFeatures { expected += Double(input[r * inFeatures + k]) * Double(weight[n * inFeatures + k]) }
                worst = max(worst, abs(Double(output[r * linear.paddedOutFeatures + n]) - expected))
            }
        }
        #expect(worst < 1e-4 * Double(inFeatures).squareRoot())
    }

    @Test func expAndErfAreAccurate() {
        var worstExp: Double = 0, worstErf: Double = 0
        var x: Float = -30
        while x <= 10 {
            let lanes = Vec8((0..<8).map { x + Float($0) * 0.001 })
            let e = exp8(lanes), f = erf8(lanes / 4)
            for lane in 0..<8 {
                let v = Double(lanes[lane])
                worstExp = max(worstExp, abs(Double(e[lane]) - Foundation.exp(v)) / Foundation.exp(v))
                worstErf = max(worstErf, abs(Double(f[lane]) - Foundation.erf(v / 4)))
            }
            x += 0.0371
        }
        #expect(worstExp < 5e-7, "exp relative error \(worstExp)")
        #expect(worstErf < 5e-7, "erf absolute error \(worstErf)")
        #expect(exp8(Vec8(repeating: -200))[0] >= 0 && exp8(Vec8(repeating: -200))[0] < 1e-37)
        #expect(erf8(Vec8(repeating: 9))[0] == 1 && erf8(Vec8(repeating: -9))[0] == -1)
    }

    @Test func softmaxSumsToOne() {
        for count in [1, 7, 8, 13, 256] {
            var row = (0..<count).map { Float($0 % 5) * 3 - 4 }
            row.withUnsafeMutableBufferPointer { softmaxInPlace($0.baseAddress!, count: count, scale: 0.5) }
            #expect(abs(row.reduce(0, +) - 1) < 1e-5)
            #expect(row.allSatisfy { $0 > 0 })
        }
    }
}

/// A deterministic pseudo-random generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 24) * 2 - 1 }
}
