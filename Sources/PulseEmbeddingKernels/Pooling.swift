// Embedding lookup and the sentence-level tail: mean pooling and L2 normalisation.

/// out[r] = word[ids[r]] + position[r] + tokenType for r in 0..<ids.count, rows of `width`.
/// `word` may be unaligned (it points into the mapped safetensors file).
package func sumEmbeddings(
    ids: [Int32], word: UnsafeRawPointer, position: UnsafePointer<Float>,
    tokenType: UnsafePointer<Float>, width: Int, out: UnsafeMutablePointer<Float>
) {
    precondition(width % 8 == 0)
    for (r, id) in ids.enumerated() {
        let w = word + Int(id) * width * MemoryLayout<Float>.stride
        let pos = position + r * width, dst = out + r * width
        var i = 0
        while i < width {
            let v = w.loadUnaligned(fromByteOffset: i * 4, as: Vec8.self)
            storeVec8(v + loadVec8(pos + i) + loadVec8(tokenType + i), dst + i)
            i += 8
        }
    }
}

/// Mean of `rows` rows of `width`, then scaled to unit L2 norm (a zero vector stays zero).
package func meanPoolNormalised(_ x: UnsafePointer<Float>, rows: Int, width: Int) -> [Float] {
    precondition(width % 8 == 0 && rows > 0)
    var sums = [Vec8](repeating: Vec8(), count: width / 8)
    for r in 0..<rows {
        let row = x + r * width
        for v in 0..<width / 8 { sums[v] += loadVec8(row + v * 8) }
    }
    let inverseCount = Vec8(repeating: 1 / Float(rows))
    var squares = Vec8()
    for v in sums.indices {
        sums[v] *= inverseCount
        squares = fma8(squares, sums[v], sums[v])
    }
    // Same guard as torch.nn.functional.normalize (eps 1e-12).
    let norm = max(squares.sum().squareRoot(), 1e-12)
    var out = [Float](repeating: 0, count: width)
    for v in sums.indices {
        let scaled = sums[v] / norm
        for lane in 0..<8 { out[v * 8 + lane] = scaled[lane] }
    }
    return out
}
