// SIMD kernels for cosine distance. Stored vectors are unit length and padded with zeros to a
// multiple of 16 floats, so the loops need no scalar tail and cosine is a plain dot product.
//
// With PULSE_VECTOR_FMA (set by Package.swift when the build machine has AVX2+FMA, like the
// embedding kernels) products are accumulated with fused multiply-add; Swift never contracts
// `a * b + c` by itself. Without it, a plain multiply and add (portable x86-64).

/// Number of floats a stored vector occupies: `dimension` rounded up to a multiple of 16.
@inline(__always)
func paddedStride(_ dimension: Int) -> Int { (dimension + 15) & ~15 }

@inline(__always)
private func accumulate(_ sum: inout SIMD16<Float>, _ a: SIMD16<Float>, _ b: SIMD16<Float>) {
    #if PULSE_VECTOR_FMA
    sum.addProduct(a, b)
    #else
    sum += a * b
    #endif
}

@inline(__always)
private func horizontalSum(_ s: SIMD16<Float>) -> Float {
    let h8 = s.lowHalf + s.highHalf
    let h4 = h8.lowHalf + h8.highHalf
    return (h4[0] + h4[2]) + (h4[1] + h4[3])
}

@inline(__always)
private func load(_ p: UnsafeRawPointer, _ offset: Int) -> SIMD16<Float> {
    p.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
}

/// Dot product of two padded vectors of `count` floats (`count` a multiple of 16).
@inline(__always)
func dotProduct(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
    let ra = UnsafeRawPointer(a)
    let rb = UnsafeRawPointer(b)
    let bytes = count &* 4
    var s0 = SIMD16<Float>()
    var s1 = SIMD16<Float>()
    var offset = 0
    // Two independent accumulators (four AVX registers) hide the add latency.
    while offset &+ 128 <= bytes {
        accumulate(&s0, load(ra, offset), load(rb, offset))
        accumulate(&s1, load(ra, offset &+ 64), load(rb, offset &+ 64))
        offset &+= 128
    }
    if offset < bytes { accumulate(&s0, load(ra, offset), load(rb, offset)) }
    return horizontalSum(s0 + s1)
}

/// Dot products of `q` with four padded vectors at once. The query is loaded once per block
/// and the four rows stream in parallel, so their cache misses overlap (FAISS's batch-of-4).
@inline(__always)
func dotProducts4(
    _ q: UnsafePointer<Float>, _ v0: UnsafePointer<Float>, _ v1: UnsafePointer<Float>, _ v2: UnsafePointer<Float>,
    _ v3: UnsafePointer<Float>, _ count: Int
) -> SIMD4<Float> {
    let rq = UnsafeRawPointer(q)
    let r0 = UnsafeRawPointer(v0)
    let r1 = UnsafeRawPointer(v1)
    let r2 = UnsafeRawPointer(v2)
    let r3 = UnsafeRawPointer(v3)
    var s0 = SIMD16<Float>()
    var s1 = SIMD16<Float>()
    var s2 = SIMD16<Float>()
    var s3 = SIMD16<Float>()
    let bytes = count &* 4
    var offset = 0
    while offset < bytes {
        let x = load(rq, offset)
        accumulate(&s0, x, load(r0, offset))
        accumulate(&s1, x, load(r1, offset))
        accumulate(&s2, x, load(r2, offset))
        accumulate(&s3, x, load(r3, offset))
        offset &+= 64
    }
    return SIMD4(horizontalSum(s0), horizontalSum(s1), horizontalSum(s2), horizontalSum(s3))
}

/// Cosine distance between two padded unit vectors: 1 − cos, in 0...2.
@inline(__always)
func cosineDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
    1 - dotProduct(a, b, count)
}

// Software prefetch without C: LLVM's target-independent prefetch intrinsic, bound by name.
// Arguments: address, 0 = read, locality 3 = keep in all cache levels, 1 = data cache. It is
// only a hint (a no-op where the CPU has no prefetch instruction) and never faults.
// Release builds only: under the thread sanitizer (debug test builds) Swift emits the call as
// an `invoke`, which LLVM refuses for an intrinsic, and the compiler aborts. A hint changes no
// result, so debug builds simply go without it.
#if !DEBUG
@_silgen_name("llvm.prefetch.p0")
private func llvmPrefetch(_ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ cacheType: Int32)
#endif

/// Asks the CPU to start loading the cache line at `address` (release builds).
@inline(__always)
func prefetch(_ address: UnsafeRawPointer) {
    #if !DEBUG
    llvmPrefetch(address, 0, 3, 1)
    #endif
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
