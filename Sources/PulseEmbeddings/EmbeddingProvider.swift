import Dispatch

/// A vector space: vectors are only comparable when both name and dimension match.
public struct EmbeddingModelInfo: Sendable, Hashable, Codable, CustomStringConvertible {
    public let name: String
    public let dimension: Int

    public init(name: String, dimension: Int) {
        self.name = name
        self.dimension = dimension
    }

    public var description: String { "\(name) (\(dimension)d)" }
}

/// One text's vector, tagged with the model that produced it.
public struct Embedding: Sendable, Equatable {
    public let model: EmbeddingModelInfo
    public let vector: [Float]

    public init(model: EmbeddingModelInfo, vector: [Float]) throws(EmbeddingError) {
        guard vector.count == model.dimension else {
            throw .dimensionMismatch(model: model.name, expected: model.dimension, received: vector.count)
        }
        self.model = model
        self.vector = vector
    }

    /// Cosine similarity; refuses vectors of another model.
    public func cosineSimilarity(to other: Embedding) throws(EmbeddingError) -> Float {
        guard model == other.model else { throw .incompatibleModels(model, other.model) }
        var dot: Float = 0, normA: Float = 0, normB: Float = 0
        for (a, b) in zip(vector, other.vector) {
            dot += a * b
            normA += a * a
            normB += b * b
        }
        let denominator = (normA * normB).squareRoot()
        return denominator > 0 ? dot / denominator : 0
    }
}

/// What the AI service embeds text with. Implementations: `LocalEmbeddingProvider`
/// (default, in process) and `OpenAICompatibleEmbeddingProvider` (HTTP).
public protocol EmbeddingProvider: Sendable {
    /// The model every returned embedding is tagged with.
    var model: EmbeddingModelInfo { get }
    /// One embedding per text, in order.
    func embed(_ texts: [String]) async throws(EmbeddingError) -> [Embedding]
}

extension EmbeddingProvider {
    /// The embedding of one text.
    public func embed(_ text: String) async throws(EmbeddingError) -> Embedding {
        let result = try await embed([text])
        guard let first = result.first else { throw .invalidResponse("no embedding returned") }
        return first
    }
}

/// The local all-MiniLM-L6-v2 model as a provider. Work runs on a Dispatch queue, not on
/// the Swift concurrency pool, so long batches do not starve other tasks.
public struct LocalEmbeddingProvider: EmbeddingProvider {
    public let localModel: LocalEmbeddingModel
    public var model: EmbeddingModelInfo {
        EmbeddingModelInfo(name: localModel.configuration.modelName, dimension: localModel.dimension)
    }

    public init(model: LocalEmbeddingModel) {
        self.localModel = model
    }

    /// Loads the model from `configuration` (default: `LocalModelConfiguration.resolve()`).
    public init(configuration: LocalModelConfiguration = .resolve()) throws(EmbeddingError) {
        self.localModel = try LocalEmbeddingModel(configuration: configuration)
    }

    public func embed(_ texts: [String]) async throws(EmbeddingError) -> [Embedding] {
        let model = self.model, local = localModel
        let vectors = await withCheckedContinuation { (continuation: CheckedContinuation<[[Float]], Never>) in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(returning: local.embed(texts))
            }
        }
        var result: [Embedding] = []
        for vector in vectors { result.append(try Embedding(model: model, vector: vector)) }
        return result
    }
}
