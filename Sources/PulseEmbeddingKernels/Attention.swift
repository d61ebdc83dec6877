// Multi-head self-attention of one sequence, on top of `gemm`: per head,
// S = Q_h·K_hᵀ (K_h packed into panels), softmax(S/√d) row by row, then ctx_h = P·V_h
// reading V_h in place (16 consecutive floats of a V row are already a panel row).

/// Scratch buffers for `selfAttention`, sized for sequences up to `maxTokens`.
package struct AttentionWorkspace {
    package let maxTokens: Int
    package let headDim: Int
    var keyPanels: [Float]
    var scores: [Float]

    package init(maxTokens: Int, headDim: Int) {
        self.maxTokens = maxTokens
        self.headDim = headDim
        let columns = (maxTokens + 15) / 16 * 16
        keyPanels = [Float](repeating: 0, count: columns * headDim)
        scores = [Float](repeating: 0, count: paddedRows(maxTokens) * columns)
    }
}

/// ctx[i][h·d ..< (h+1)·d] = Σ_j softmax_j(Q_i·K_j/√d) V_j for each head h, over one
/// sequence of `tokens` rows.
///
/// `qkv` rows hold [Q | K | V] (each heads·headDim wide) with stride `qkvStride`; `ctx`
/// has stride `ctxStride`. Both buffers need `paddedRows(tokens)` rows of storage; the
/// padding rows of `ctx` are overwritten with meaningless values.
package func selfAttention(
    qkv: UnsafePointer<Float>, qkvStride: Int, tokens: Int, heads: Int, headDim: Int,
    ctx: UnsafeMutablePointer<Float>, ctxStride: Int, workspace: inout AttentionWorkspace
) {
    precondition(tokens <= workspace.maxTokens && headDim == workspace.headDim && headDim % 16 == 0)
    let hidden = heads * headDim
    let columns = (tokens + 15) / 16 * 16
    let scale = 1 / Float(headDim).squareRoot()
    workspace.keyPanels.withUnsafeMutableBufferPointer { keyPanels in
        workspace.scores.withUnsafeMutableBufferPointer { scores in
            let kp = keyPanels.baseAddress!, s = scores.baseAddress!
            for h in 0..<heads {
                let q = qkv + h * headDim
                let k = qkv + hidden + h * headDim
                let v = qkv + 2 * hidden + h * headDim
                // Kᵀ as panels: column n = token j, depth = head dimension.
                packPanels(source: k, n: tokens, k: headDim, nStride: qkvStride, kStride: 1, into: kp)
                gemm(
                    a: q, lda: qkvStride, rows: tokens, k: headDim,
                    panels: kp, panelOffset: 16 * headDim, panelStride: 16,
                    panelCount: columns / 16, bias: nil, c: s, ldc: columns)
                for i in 0..<tokens {
                    softmaxInPlace(s + i * columns, count: tokens, scale: scale)
                }
                gemm(
                    a: s, lda: columns, rows: tokens, k: tokens,
                    panels: v, panelOffset: 16, panelStride: qkvStride,
                    panelCount: headDim / 16, bias: nil, c: ctx + h * headDim, ldc: ctxStride)
            }
        }
    }
}
