// SIMD kernels for cosine distance. Stored vectors are unit length and padded with zeros to a
// multiple of 16 floats, so the loops need no scalar tail and cosine is a plain dot product.

/// Number of floats a stored vector occupies: `dimension` rounded up to a multiple of 16.
@inline(__always)
func paddedStride(_ dimension: Int) -> Int { (dimension + 15) & ~15 }

/// Dot product of two padded vectors of `count` floats (`count` a multiple of 16).
@inline(__always)
func dotProduct(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
    let ra = UnsafeRawPointer(a)
    let rb = UnsafeRawPointer(b)
    let bytes = count &* 4
    var s0 = SIMD16<Float>()
    var s1 = SIMD16<Float>()
    var offset = 0
    // Two independent accumulators hide the add latency.
    while offset &+ 128 <= bytes {
        s0 += ra.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            * rb.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
        s1 += ra.loadUnaligned(fromByteOffset: offset &+ 64, as: SIMD16<Float>.self)
            * rb.loadUnaligned(fromByteOffset: offset &+ 64, as: SIMD16<Float>.self)
        offset &+= 128
    }
    if offset < bytes {
        s0 += ra.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            * rb.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
    }
    let s = s0 + s1
    let h8 = s.lowHalf + s.highHalf
    let h4 = h8.lowHalf + h8.highHalf
    return (h4[0] + h4[2]) + (h4[1] + h4[3])
}

/// Cosine distance between two padded unit vectors: 1 − cos, in 0...2.
@inline(__always)
func cosineDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
    1 - dotProduct(a, b, count)
}

/// Checks `source` (dimension floats) and writes its unit-length version, zero padded to
/// `stride`, into `destination`. Throws for NaN/Inf components and zero vectors.
func normalise(
    _ source: UnsafeBufferPointer<Float>, dimension: Int, into destination: UnsafeMutablePointer<Float>, stride: Int
) throws {
    guard source.count == dimension else {
        throw VectorError.dimensionMismatch(expected: dimension, got: source.count)
    }
    guard dimension > 0, let base = source.baseAddress else { throw VectorError.zeroVector }
    // Fast path: copy into the padded destination and sum squares with SIMD. A NaN or Inf
    // component (or a Float overflow of the sum) makes the sum non-finite; only then do we
    // rescan to name the component or fall back to Double.
    destination.update(from: base, count: dimension)
    (destination + dimension).update(repeating: 0, count: stride - dimension)
    let raw = UnsafeRawPointer(destination)
    var acc = SIMD16<Float>()
    var offset = 0
    while offset < stride * 4 {
        let v = raw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
        acc += v * v
        offset += 64
    }
    var sum = Double(acc.sum())
    if !sum.isFinite || sum < 1e-30 {
        sum = 0
        for i in 0..<dimension {
            let x = base[i]
            guard x.isFinite else { throw VectorError.nonFiniteComponent(index: i) }
            sum += Double(x) * Double(x)
        }
    }
    // A norm this small cannot be inverted in Float without overflow or a garbage direction.
    guard sum > 1e-30, sum.isFinite else { throw VectorError.zeroVector }
    let scale = Float(1 / sum.squareRoot())
    for i in 0..<dimension { destination[i] *= scale }
}
