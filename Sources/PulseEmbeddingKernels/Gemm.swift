// The SIMD matrix-multiply core: C = A·B (+ bias) where B is given as "panels" of 16
// columns. For each k a panel row holds the 16 values B[k][16p ..< 16p+16] contiguously
// (panelStride floats apart from one k to the next). The 6×16 micro-kernel keeps 12
// vector accumulators in registers, one broadcast of A and two panel loads per k, enough
// independent FMAs to keep both FMA pipes of an AVX2 core busy. K is walked in blocks so
// the panel slice reused by every row block stays in L1.

/// Rows of the output computed together by the micro-kernel. Row buffers passed to
/// `gemm` must have room for `rows` rounded up to a multiple of this (`paddedRows`).
package let gemmRowBlock = 6

/// Rounds a row count up to the micro-kernel's row block.
package func paddedRows(_ rows: Int) -> Int {
    (rows + gemmRowBlock - 1) / gemmRowBlock * gemmRowBlock
}

package typealias Vec8 = SIMD8<Float>

@inline(__always)
func fma8(_ acc: Vec8, _ a: Vec8, _ b: Vec8) -> Vec8 {
    #if PULSE_FMA
        return acc.addingProduct(a, b)
    #else
        // Without hardware FMA in the target, addingProduct becomes a libm call per lane.
        return acc + a * b
    #endif
}

@inline(__always)
func loadVec8(_ p: UnsafePointer<Float>) -> Vec8 {
    UnsafeRawPointer(p).loadUnaligned(as: Vec8.self)
}

@inline(__always)
func loadVec8(_ p: UnsafeMutablePointer<Float>) -> Vec8 {
    UnsafeRawPointer(p).loadUnaligned(as: Vec8.self)
}

@inline(__always)
func storeVec8(_ v: Vec8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec8.self)
}

/// C[r][16p + j] = bias[16p + j] + Σ_k A[r][k]·panel_p[k][j] for r in 0..<paddedRows(rows).
///
/// - `panels`: panel p starts at `panels + p * panelOffset`; within it, k-th row at
///   `k * panelStride`.
/// - `bias`: `panelCount * 16` floats, or nil to start from zero.
/// - Rows past `rows` (up to the padding) are read from A and written to C: callers size
///   both buffers with `paddedRows(rows)` rows.
package func gemm(
    a: UnsafePointer<Float>, lda: Int, rows: Int, k: Int,
    panels: UnsafePointer<Float>, panelOffset: Int, panelStride: Int, panelCount: Int,
    bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int,
    kBlock: Int = 384
) {
    let totalRows = paddedRows(rows)
    let zeroBias = UnsafeMutablePointer<Float>.allocate(capacity: 16)
    zeroBias.initialize(repeating: 0, count: 16)
    // With many panels, each A chunk is repacked as [row block][k][6] so the kernel reads
    // its six broadcasts from one sequential stream (~10% faster); with few panels the
    // copy would cost more than it saves and A is read in place.
    let packA = panelCount >= 24
    let packedA = UnsafeMutablePointer<Float>.allocate(capacity: packA ? gemmRowChunk * min(kBlock, k) : 1)
    defer {
        zeroBias.deallocate()
        packedA.deallocate()
    }
    // Rows in chunks (A chunk stays in L2), K in blocks (panel slice stays in L1).
    var m0 = 0
    while m0 < totalRows {
        let mc = min(gemmRowChunk, totalRows - m0)
        var k0 = 0
        while k0 < k {
            let kc = min(kBlock, k - k0)
            if packA { packRowBlocks(a: a + m0 * lda + k0, lda: lda, rows: mc, k: kc, into: packedA) }
            for p in 0..<panelCount {
                let panel = panels + p * panelOffset + k0 * panelStride
                let start: UnsafePointer<Float>? =
                    k0 == 0 ? UnsafePointer(bias.map { $0 + p * 16 } ?? UnsafePointer(zeroBias)) : nil
                let output = c + p * 16
                var r0 = m0
                if packA {
                    var blockA = UnsafePointer(packedA)
                    while r0 < m0 + mc {
                        kernel6x16(
                            a: blockA, aRowStride: 1, aKStride: gemmRowBlock, panel: panel,
                            panelStride: panelStride, k: kc, c: output + r0 * ldc, ldc: ldc, start: start)
                        blockA += gemmRowBlock * kc
                        r0 += gemmRowBlock
                    }
                } else {
                    while r0 < m0 + mc {
                        kernel6x16(
                            a: a + r0 * lda + k0, aRowStride: lda, aKStride: 1, panel: panel,
                            panelStride: panelStride, k: kc, c: output + r0 * ldc, ldc: ldc, start: start)
                        r0 += gemmRowBlock
                    }
                }
            }
            k0 += kc
        }
        m0 += mc
    }
}

/// Copies `rows` (a multiple of 6) rows × k of A into [rows/6][k][6].
@inline(__always)
func packRowBlocks(a: UnsafePointer<Float>, lda: Int, rows: Int, k: Int, into out: UnsafeMutablePointer<Float>) {
    var block = 0
    while block * gemmRowBlock < rows {
        let source = a + block * gemmRowBlock * lda
        let destination = out + block * gemmRowBlock * k
        for r in 0..<gemmRowBlock {
            let row = source + r * lda
            for kk in 0..<k { destination[kk * gemmRowBlock + r] = row[kk] }
        }
        block += 1
    }
}

/// Rows of A processed per pass over the panels (a multiple of `gemmRowBlock`).
let gemmRowChunk = 192

/// Packs B, given element-wise as `source[n * nStride + k * kStride]` for n in 0..<n
/// (output columns) and k in 0..<k, into panels of 16 columns (zero-padded):
/// panel p at `p * k * 16`, row k at `k * 16`. `destination` holds ceil(n/16)·16·k floats.
package func packPanels(
    source: UnsafePointer<Float>, n: Int, k: Int, nStride: Int, kStride: Int,
    into destination: UnsafeMutablePointer<Float>
) {
    let panelCount = (n + 15) / 16
    for p in 0..<panelCount {
        let panel = destination + p * k * 16
        for j in 0..<16 {
            let column = p * 16 + j
            if column < n {
                let src = source + column * nStride
                for kk in 0..<k { panel[kk * 16 + j] = src[kk * kStride] }
            } else {
                for kk in 0..<k { panel[kk * 16 + j] = 0 }
            }
        }
    }
}

/// The 6×16 output block held in twelve vector registers.
struct Block6x16 {
    var c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51: Vec8

    @inline(__always)
    init(row0: Vec8, _ row1: Vec8) {
        (c00, c01, c10, c11, c20, c21) = (row0, row1, row0, row1, row0, row1)
        (c30, c31, c40, c41, c50, c51) = (row0, row1, row0, row1, row0, row1)
    }

    @inline(__always)
    init(loading c: UnsafeMutablePointer<Float>, ldc: Int) {
        (c00, c01) = (loadVec8(c), loadVec8(c + 8))
        (c10, c11) = (loadVec8(c + ldc), loadVec8(c + ldc + 8))
        (c20, c21) = (loadVec8(c + 2 * ldc), loadVec8(c + 2 * ldc + 8))
        (c30, c31) = (loadVec8(c + 3 * ldc), loadVec8(c + 3 * ldc + 8))
        (c40, c41) = (loadVec8(c + 4 * ldc), loadVec8(c + 4 * ldc + 8))
        (c50, c51) = (loadVec8(c + 5 * ldc), loadVec8(c + 5 * ldc + 8))
    }

    /// One k step: the six A values at a[0], a[rowStride] … times one panel row b.
    @inline(__always)
    mutating func step(_ a: UnsafePointer<Float>, _ rowStride: Int, _ b: UnsafePointer<Float>) {
        let b0 = loadVec8(b), b1 = loadVec8(b + 8)
        var x = Vec8(repeating: a[0])
        c00 = fma8(c00, x, b0); c01 = fma8(c01, x, b1)
        x = Vec8(repeating: a[rowStride])
        c10 = fma8(c10, x, b0); c11 = fma8(c11, x, b1)
        x = Vec8(repeating: a[2 * rowStride])
        c20 = fma8(c20, x, b0); c21 = fma8(c21, x, b1)
        x = Vec8(repeating: a[3 * rowStride])
        c30 = fma8(c30, x, b0); c31 = fma8(c31, x, b1)
        x = Vec8(repeating: a[4 * rowStride])
        c40 = fma8(c40, x, b0); c41 = fma8(c41, x, b1)
        x = Vec8(repeating: a[5 * rowStride])
        c50 = fma8(c50, x, b0); c51 = fma8(c51, x, b1)
    }

    @inline(__always)
    func store(_ c: UnsafeMutablePointer<Float>, ldc: Int) {
        storeVec8(c00, c); storeVec8(c01, c + 8)
        storeVec8(c10, c + ldc); storeVec8(c11, c + ldc + 8)
        storeVec8(c20, c + 2 * ldc); storeVec8(c21, c + 2 * ldc + 8)
        storeVec8(c30, c + 3 * ldc); storeVec8(c31, c + 3 * ldc + 8)
        storeVec8(c40, c + 4 * ldc); storeVec8(c41, c + 4 * ldc + 8)
        storeVec8(c50, c + 5 * ldc); storeVec8(c51, c + 5 * ldc + 8)
    }
}

/// C[0..<6][0..<16] = start + A·panel, or C += A·panel when `start` is nil.
/// A's element (r, k) is at `a[r * aRowStride + k * aKStride]`. The k loop is unrolled
/// by two (fewer loop-control µops between the 24 FMAs).
@inline(__always)
func kernel6x16(
    a: UnsafePointer<Float>, aRowStride: Int, aKStride: Int,
    panel: UnsafePointer<Float>, panelStride: Int, k: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, start: UnsafePointer<Float>?
) {
    var block = start.map { Block6x16(row0: loadVec8($0), loadVec8($0 + 8)) } ?? Block6x16(loading: c, ldc: ldc)
    var x = a, b = panel
    var remaining = k
    while remaining >= 2 {
        block.step(x, aRowStride, b)
        block.step(x + aKStride, aRowStride, b + panelStride)
        x += 2 * aKStride
        b += 2 * panelStride
        remaining -= 2
    }
    if remaining == 1 { block.step(x, aRowStride, b) }
    block.store(c, ldc: ldc)
}
