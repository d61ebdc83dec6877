import PulseEmbeddingKernels

/// The weights of a BERT encoder, packed for the SIMD kernels. Word embeddings stay in
/// the memory-mapped safetensors file (only rows of tokens actually seen get loaded).
package final class BertEncoder: Sendable {
    struct Layer: Sendable {
        let qkv: PackedLinear  // query, key and value fused: [3·hidden][hidden]
        let attentionOutput: PackedLinear
        let attentionNorm: (gamma: [Float], beta: [Float])
        let intermediate: PackedLinear
        let output: PackedLinear
        let outputNorm: (gamma: [Float], beta: [Float])
    }

    package let configuration: BertConfiguration
    let weightsFile: SafeTensorsFile
    let wordEmbeddingsOffset: Int
    let positionEmbeddings: [Float]
    let tokenTypeEmbedding: [Float]
    let embeddingNorm: (gamma: [Float], beta: [Float])
    let layers: [Layer]

    package init(weights file: SafeTensorsFile, configuration c: BertConfiguration) throws(EmbeddingError) {
        configuration = c
        weightsFile = file
        let h = c.hiddenSize
        wordEmbeddingsOffset = try file.float32Info(
            "embeddings.word_embeddings.weight", shape: [c.vocabularySize, h]
        ).byteRange.lowerBound
        positionEmbeddings = try file.floats("embeddings.position_embeddings.weight", shape: [c.maxPositions, h])
        tokenTypeEmbedding = Array(
            try file.floats("embeddings.token_type_embeddings.weight", shape: [c.typeVocabularySize, h])[0..<h])
        embeddingNorm = try Self.norm(file, "embeddings.LayerNorm", h)
        var layers: [Layer] = []
        for index in 0..<c.layers {
            let p = "encoder.layer.\(index)."
            func linear(_ name: String, _ out: Int, _ input: Int) throws(EmbeddingError) -> PackedLinear {
                PackedLinear(
                    weight: try file.floats(p + name + ".weight", shape: [out, input]),
                    bias: try file.floats(p + name + ".bias", shape: [out]), outFeatures: out, inFeatures: input)
            }
            var qkvWeight: [Float] = [], qkvBias: [Float] = []
            for part in ["query", "key", "value"] {
                qkvWeight += try file.floats(p + "attention.self.\(part).weight", shape: [h, h])
                qkvBias += try file.floats(p + "attention.self.\(part).bias", shape: [h])
            }
            layers.append(
                Layer(
                    qkv: PackedLinear(weight: qkvWeight, bias: qkvBias, outFeatures: 3 * h, inFeatures: h),
                    attentionOutput: try linear("attention.output.dense", h, h),
                    attentionNorm: try Self.norm(file, p + "attention.output.LayerNorm", h),
                    intermediate: try linear("intermediate.dense", c.intermediateSize, h),
                    output: try linear("output.dense", h, c.intermediateSize),
                    outputNorm: try Self.norm(file, p + "output.LayerNorm", h)))
        }
        self.layers = layers
        // The copies above are what we use; let the kernel reclaim the mapped pages.
        file.file.dropResidentPages(offset: 0, count: file.file.bytes.count)
    }

    private static func norm(
        _ file: SafeTensorsFile, _ prefix: String, _ width: Int
    ) throws(EmbeddingError) -> (gamma: [Float], beta: [Float]) {
        (try file.floats(prefix + ".weight", shape: [width]), try file.floats(prefix + ".bias", shape: [width]))
    }

    /// Mean-pooled, L2-normalised sentence vectors for already tokenized sequences (each
    /// 1...maxPositions ids, all < vocabularySize). The sequences go through the linear
    /// layers together (one matrix of all their tokens); attention stays per sequence.
    package func encode(_ sequences: [[Int32]], workspace: inout EncoderWorkspace) -> [[Float]] {
        let c = configuration, h = c.hiddenSize
        let rows = sequences.reduce(0) { $0 + $1.count }
        precondition(sequences.allSatisfy { !$0.isEmpty && $0.count <= c.maxPositions })
        workspace.reserve(rows: rows, longest: sequences.map(\.count).max() ?? 1, configuration: c)
        var offsets: [Int] = []
        var next = 0
        for sequence in sequences { offsets.append(next); next += sequence.count }
        return workspace.withBuffers { x, qkv, ctx, tmp, inter, attention in
            let word = weightsFile.file.bytes.baseAddress! + wordEmbeddingsOffset
            positionEmbeddings.withUnsafeBufferPointer { position in
                tokenTypeEmbedding.withUnsafeBufferPointer { tokenType in
                    for (sequence, offset) in zip(sequences, offsets) {
                        sumEmbeddings(
                            ids: sequence, word: word, position: position.baseAddress!,
                            tokenType: tokenType.baseAddress!, width: h, out: x + offset * h)
                    }
                }
            }
            layerNorm(x, adding: nil, rows: rows, embeddingNorm)
            let qkvStride = 3 * h
            for layer in layers {
                layer.qkv.apply(input: x, inputStride: h, rows: rows, output: qkv, outputStride: qkvStride)
                for (sequence, offset) in zip(sequences, offsets) {
                    selfAttention(
                        qkv: qkv + offset * qkvStride, qkvStride: qkvStride, tokens: sequence.count,
                        heads: c.heads, headDim: c.headDim, ctx: ctx + offset * h, ctxStride: h,
                        workspace: &attention)
                }
                layer.attentionOutput.apply(input: ctx, inputStride: h, rows: rows, output: tmp, outputStride: h)
                layerNorm(x, adding: tmp, rows: rows, layer.attentionNorm)
                layer.intermediate.apply(
                    input: x, inputStride: h, rows: rows, output: inter, outputStride: c.intermediateSize)
                geluInPlace(inter, count: rows * c.intermediateSize)
                layer.output.apply(
                    input: inter, inputStride: c.intermediateSize, rows: rows, output: tmp, outputStride: h)
                layerNorm(x, adding: tmp, rows: rows, layer.outputNorm)
            }
            return zip(sequences, offsets).map { sequence, offset in
                meanPoolNormalised(x + offset * h, rows: sequence.count, width: h)
            }
        }
    }

    private func layerNorm(
        _ x: UnsafeMutablePointer<Float>, adding y: UnsafeMutablePointer<Float>?, rows: Int,
        _ norm: (gamma: [Float], beta: [Float])
    ) {
        norm.gamma.withUnsafeBufferPointer { g in
            norm.beta.withUnsafeBufferPointer { b in
                addLayerNorm(
                    x, adding: y.map { UnsafePointer($0) }, yStride: configuration.hiddenSize, rows: rows,
                    width: configuration.hiddenSize, gamma: g.baseAddress!, beta: b.baseAddress!,
                    eps: configuration.layerNormEpsilon)
            }
        }
    }
}
