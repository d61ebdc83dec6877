import Foundation

/// The encoder's shape, read from the model folder's config.json.
package struct BertConfiguration: Sendable, Equatable {
    package var hiddenSize = 384
    package var layers = 6
    package var heads = 12
    package var intermediateSize = 1536
    package var vocabularySize = 30522
    package var maxPositions = 512
    package var typeVocabularySize = 2
    package var layerNormEpsilon: Float = 1e-12

    package var headDim: Int { hiddenSize / heads }

    package init() {}

    /// Reads and checks config.json (a BERT model with exact GELU and absolute positions).
    package init(file path: String) throws(EmbeddingError) {
        func corrupt(_ reason: String) -> EmbeddingError { .corruptModel(file: path, reason: reason) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .modelMissing(folder: (path as NSString).deletingLastPathComponent, detail: "config.json is missing")
        }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw corrupt("not a JSON object")
        }
        func int(_ key: String) throws(EmbeddingError) -> Int {
            guard let value = json[key] as? Int, value > 0 else { throw corrupt("\(key) missing or not a positive integer") }
            return value
        }
        hiddenSize = try int("hidden_size")
        layers = try int("num_hidden_layers")
        heads = try int("num_attention_heads")
        intermediateSize = try int("intermediate_size")
        vocabularySize = try int("vocab_size")
        maxPositions = try int("max_position_embeddings")
        typeVocabularySize = try int("type_vocab_size")
        guard let eps = json["layer_norm_eps"] as? Double, eps > 0 else { throw corrupt("layer_norm_eps missing") }
        layerNormEpsilon = Float(eps)
        guard (json["model_type"] as? String) == "bert" else { throw corrupt("model_type is not bert") }
        guard (json["hidden_act"] as? String) == "gelu" else { throw corrupt("hidden_act is not gelu (exact erf form)") }
        if let kind = json["position_embedding_type"] as? String, kind != "absolute" {
            throw corrupt("position_embedding_type \(kind) is not supported")
        }
        guard hiddenSize % heads == 0, headDim % 16 == 0, hiddenSize % 16 == 0, intermediateSize % 16 == 0 else {
            throw corrupt("hidden \(hiddenSize) / heads \(heads) / intermediate \(intermediateSize) not supported by the kernels")
        }
    }
}
