// Element-wise kernels on SIMD8<Float>: exp, erf, GELU, softmax, LayerNorm, L2 norm.
// exp and erf are polynomial/rational approximations accurate to a few float ulps
// (checked against the libm double versions in the tests); calling libm per element
// would cost more than the attention matmuls themselves.

@inline(__always)
func vmin(_ a: Vec8, _ b: Vec8) -> Vec8 { a.replacing(with: b, where: b .< a) }
@inline(__always)
func vmax(_ a: Vec8, _ b: Vec8) -> Vec8 { a.replacing(with: b, where: b .> a) }

/// e^x per lane (Cephes expf scheme: 2^n · p(r), |r| ≤ ln2/2), relative error ~2 ulp.
@inline(__always)
package func exp8(_ input: Vec8) -> Vec8 {
    let x = vmax(vmin(input, Vec8(repeating: 88.3762626647949)), Vec8(repeating: -87.3365447505531))
    // Round x·log2(e) to the nearest integer with the 1.5·2^23 trick: no float→int conversion.
    let magic = Vec8(repeating: 12_582_912.0)
    let t = fma8(magic, x, Vec8(repeating: 1.44269504088896341))
    let n = t - magic
    var r = fma8(x, n, Vec8(repeating: -0.693359375))
    r = fma8(r, n, Vec8(repeating: 2.12194440e-4))
    var p = Vec8(repeating: 1.9875691500e-4)
    p = fma8(Vec8(repeating: 1.3981999507e-3), p, r)
    p = fma8(Vec8(repeating: 8.3334519073e-3), p, r)
    p = fma8(Vec8(repeating: 4.1665795894e-2), p, r)
    p = fma8(Vec8(repeating: 1.6666665459e-1), p, r)
    p = fma8(Vec8(repeating: 5.0000001201e-1), p, r)
    p = fma8(r + 1, p, r * r)
    // 2^n from the integer sitting in t's low mantissa bits.
    let bits = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let scale = unsafeBitCast((bits &+ 127) &<< 23, to: Vec8.self)
    return p * scale
}

/// erf(x) per lane: odd rational approximation on [-4, 4] (erf is ±1 to float precision
/// beyond), max error a few ulp.
@inline(__always)
package func erf8(_ input: Vec8) -> Vec8 {
    let x = vmax(vmin(input, Vec8(repeating: 4)), Vec8(repeating: -4))
    let x2 = x * x
    var p = Vec8(repeating: -2.72614225801306e-10)
    p = fma8(Vec8(repeating: 2.77068142495902e-08), p, x2)
    p = fma8(Vec8(repeating: -2.10102402082508e-06), p, x2)
    p = fma8(Vec8(repeating: -5.69250639462346e-05), p, x2)
    p = fma8(Vec8(repeating: -7.34990630326855e-04), p, x2)
    p = fma8(Vec8(repeating: -2.95459980854025e-03), p, x2)
    p = fma8(Vec8(repeating: -1.60960333262415e-02), p, x2)
    p = p * x
    var q = Vec8(repeating: -1.45660718464996e-05)
    q = fma8(Vec8(repeating: -2.13374055278905e-04), q, x2)
    q = fma8(Vec8(repeating: -1.68282697438203e-03), q, x2)
    q = fma8(Vec8(repeating: -7.37332916720468e-03), q, x2)
    q = fma8(Vec8(repeating: -1.42647390514189e-02), q, x2)
    return p / q
}

/// Exact (erf) GELU in place: x·½·(1 + erf(x/√2)). `count` must be a multiple of 8.
package func geluInPlace(_ data: UnsafeMutablePointer<Float>, count: Int) {
    precondition(count % 8 == 0)
    let half = Vec8(repeating: 0.5), invSqrt2 = Vec8(repeating: 0.7071067811865476)
    var i = 0
    while i < count {
        let x = loadVec8(data + i)
        storeVec8(x * half * (1 + erf8(x * invSqrt2)), data + i)
        i += 8
    }
}

@inline(__always)
func horizontalSum(_ v: Vec8) -> Float { v.sum() }

@inline(__always)
func horizontalMax(_ v: Vec8) -> Float { v.max() }

/// softmax(scale · row) in place over `count` scores (any count; scale > 0).
package func softmaxInPlace(_ row: UnsafeMutablePointer<Float>, count: Int, scale: Float = 1) {
    let whole = count & ~7
    var maxV = Vec8(repeating: -.infinity)
    var i = 0
    while i < whole { maxV = vmax(maxV, loadVec8(row + i)); i += 8 }
    var maximum = horizontalMax(maxV)
    for j in whole..<count { maximum = max(maximum, row[j]) }
    let m = Vec8(repeating: maximum), s = Vec8(repeating: scale)
    var sumV = Vec8()
    i = 0
    while i < whole {
        let e = exp8((loadVec8(row + i) - m) * s)
        storeVec8(e, row + i)
        sumV += e
        i += 8
    }
    var sum = horizontalSum(sumV)
    if whole < count {
        var tail = Vec8(repeating: -.infinity)
        for j in whole..<count { tail[j - whole] = (row[j] - maximum) * scale }
        let e = exp8(tail)
        for j in whole..<count { row[j] = e[j - whole]; sum += e[j - whole] }
    }
    let inv = Vec8(repeating: 1 / sum)
    i = 0
    while i < whole { storeVec8(loadVec8(row + i) * inv, row + i); i += 8 }
    for j in whole..<count { row[j] *= inv[0] }
}

/// x ← LayerNorm(x + y) over rows of `width` (a multiple of 8), with gamma/beta and eps.
/// Pass `y == nil` for a plain LayerNorm.
package func addLayerNorm(
    _ x: UnsafeMutablePointer<Float>, adding y: UnsafePointer<Float>?, yStride: Int,
    rows: Int, width: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float
) {
    precondition(width % 8 == 0)
    let g = UnsafeMutablePointer(mutating: gamma), b = UnsafeMutablePointer(mutating: beta)
    for r in 0..<rows {
        let row = x + r * width
        var sumV = Vec8()
        var i = 0
        if let y {
            let other = UnsafeMutablePointer(mutating: y + r * yStride)
            while i < width {
                let v = loadVec8(row + i) + loadVec8(other + i)
                storeVec8(v, row + i)
                sumV += v
                i += 8
            }
        } else {
            while i < width { sumV += loadVec8(row + i); i += 8 }
        }
        let mean = Vec8(repeating: horizontalSum(sumV) / Float(width))
        var varV = Vec8()
        i = 0
        while i < width {
            let d = loadVec8(row + i) - mean
            varV = fma8(varV, d, d)
            i += 8
        }
        let variance = horizontalSum(varV) / Float(width)
        let inv = Vec8(repeating: 1 / (variance + eps).squareRoot())
        i = 0
        while i < width {
            let v = (loadVec8(row + i) - mean) * inv
            storeVec8(fma8(loadVec8(b + i), v, loadVec8(g + i)), row + i)
            i += 8
        }
    }
}
