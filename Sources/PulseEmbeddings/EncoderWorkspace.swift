import PulseEmbeddingKernels

/// Activation buffers for `BertEncoder.encode`, grown on demand and reused across calls
/// (one per thread). Every buffer has `paddedRows` + one spare row block, as the GEMM
/// kernel reads and writes whole row blocks.
package struct EncoderWorkspace {
    private var capacityRows = 0
    private var hidden: [Float] = []
    private var qkv: [Float] = []
    private var context: [Float] = []
    private var scratch: [Float] = []
    private var intermediate: [Float] = []
    private var attention = AttentionWorkspace(maxTokens: 0, headDim: 16)

    package init() {}

    mutating func reserve(rows: Int, longest: Int, configuration c: BertConfiguration) {
        if rows > capacityRows {
            let padded = paddedRows(rows) + gemmRowBlock
            hidden = [Float](repeating: 0, count: padded * c.hiddenSize)
            qkv = [Float](repeating: 0, count: padded * 3 * c.hiddenSize)
            context = [Float](repeating: 0, count: padded * c.hiddenSize)
            scratch = [Float](repeating: 0, count: padded * c.hiddenSize)
            intermediate = [Float](repeating: 0, count: padded * c.intermediateSize)
            capacityRows = rows
        }
        if attention.maxTokens < longest || attention.headDim != c.headDim {
            attention = AttentionWorkspace(maxTokens: max(longest, 16), headDim: c.headDim)
        }
    }

    mutating func withBuffers<R>(
        _ body: (
            _ x: UnsafeMutablePointer<Float>, _ qkv: UnsafeMutablePointer<Float>,
            _ ctx: UnsafeMutablePointer<Float>, _ tmp: UnsafeMutablePointer<Float>,
            _ inter: UnsafeMutablePointer<Float>, _ attention: inout AttentionWorkspace
        ) -> R
    ) -> R {
        hidden.withUnsafeMutableBufferPointer { x in
            qkv.withUnsafeMutableBufferPointer { q in
                context.withUnsafeMutableBufferPointer { c in
                    scratch.withUnsafeMutableBufferPointer { t in
                        intermediate.withUnsafeMutableBufferPointer { i in
                            body(x.baseAddress!, q.baseAddress!, c.baseAddress!, t.baseAddress!, i.baseAddress!, &attention)
                        }
                    }
                }
            }
        }
    }
}
