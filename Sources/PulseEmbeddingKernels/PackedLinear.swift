// A linear layer y = x·Wᵀ + b with W repacked once into the panel layout `gemm` reads.

/// The weights of one linear layer (PyTorch layout [out][in]), packed for `apply`.
package struct PackedLinear: Sendable {
    package let inFeatures: Int
    package let outFeatures: Int
    package var panelCount: Int { (outFeatures + 15) / 16 }
    /// Output row stride callers must use at least: outFeatures rounded up to 16.
    package var paddedOutFeatures: Int { panelCount * 16 }
    private let panels: [Float]
    private let bias: [Float]

    /// Packs `weight` ([outFeatures][inFeatures], row-major) and `bias` ([outFeatures]).
    package init(weight: [Float], bias: [Float], outFeatures: Int, inFeatures: Int) {
        precondition(weight.count == outFeatures * inFeatures && bias.count == outFeatures)
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        let panelCount = (outFeatures + 15) / 16
        self.panels = [Float](unsafeUninitializedCapacity: panelCount * 16 * inFeatures) {
            buffer, initialised in
            weight.withUnsafeBufferPointer { w in
                packPanels(
                    source: w.baseAddress!, n: outFeatures, k: inFeatures,
                    nStride: inFeatures, kStride: 1, into: buffer.baseAddress!)
            }
            initialised = buffer.count
        }
        self.bias = bias + [Float](repeating: 0, count: panelCount * 16 - outFeatures)
    }

    /// output[r][n] = Σ_k input[r][k]·W[n][k] + b[n] for r in 0..<rows.
    ///
    /// `input` has row stride `inputStride` (≥ inFeatures), `output` row stride
    /// `outputStride` (≥ paddedOutFeatures). Both need `paddedRows(rows)` rows of storage.
    package func apply(
        input: UnsafePointer<Float>, inputStride: Int, rows: Int,
        output: UnsafeMutablePointer<Float>, outputStride: Int
    ) {
        precondition(outputStride >= paddedOutFeatures && inputStride >= inFeatures)
        panels.withUnsafeBufferPointer { p in
            bias.withUnsafeBufferPointer { b in
                gemm(
                    a: input, lda: inputStride, rows: rows, k: inFeatures,
                    panels: p.baseAddress!, panelOffset: 16 * inFeatures, panelStride: 16,
                    panelCount: panelCount, bias: b.baseAddress!, c: output, ldc: outputStride)
            }
        }
    }
}
