import Foundation

/// Settings for an OpenAI-compatible embeddings endpoint (OpenAI, Azure-style gateways,
/// vLLM, Ollama's /v1, LM Studio...).
public struct OpenAIEmbeddingConfiguration: Sendable {
    /// Base URL up to the version, e.g. https://api.openai.com/v1; requests go to
    /// {baseURL}/embeddings.
    public var baseURL: URL
    /// Sent as `Authorization: Bearer …` when set. Never logged nor put in errors.
    public var apiKey: String?
    /// The model name sent with each request and recorded with each vector.
    public var model: String
    /// Expected vector length; answers of another length are refused.
    public var dimension: Int
    /// Also send `"dimensions": dimension` (for models that can shorten their output).
    public var requestDimensions = false
    /// Texts per request.
    public var maxBatch = 128
    public var timeout: TimeInterval = 30

    public init(baseURL: URL, apiKey: String? = nil, model: String, dimension: Int) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.model = model
        self.dimension = dimension
    }
}

/// Embeddings from `POST {baseURL}/embeddings` in OpenAI's request/response format.
public struct OpenAICompatibleEmbeddingProvider: EmbeddingProvider {
    public let configuration: OpenAIEmbeddingConfiguration
    let transport: any HTTPTransport
    public var model: EmbeddingModelInfo {
        EmbeddingModelInfo(name: configuration.model, dimension: configuration.dimension)
    }

    public init(configuration: OpenAIEmbeddingConfiguration, transport: any HTTPTransport = URLSessionTransport()) {
        self.configuration = configuration
        self.transport = transport
    }

    public func embed(_ texts: [String]) async throws(EmbeddingError) -> [Embedding] {
        guard configuration.dimension > 0, configuration.maxBatch > 0 else {
            throw .invalidRequest("dimension and maxBatch must be positive")
        }
        var result: [Embedding] = []
        var start = 0
        while start < texts.count {
            let end = min(start + configuration.maxBatch, texts.count)
            result += try await embedOneRequest(Array(texts[start..<end]))
            start = end
        }
        return result
    }

    private struct RequestBody: Encodable {
        let input: [String]
        let model: String
        let encoding_format = "float"
        let dimensions: Int?
    }

    private struct ResponseBody: Decodable {
        struct Item: Decodable {
            let index: Int
            let embedding: [Float]
        }
        let data: [Item]
    }

    private struct ErrorBody: Decodable {
        struct Detail: Decodable {
            let message: String?
            let type: String?
        }
        let error: Detail
    }

    private func embedOneRequest(_ texts: [String]) async throws(EmbeddingError) -> [Embedding] {
        let body: Data
        do {
            body = try JSONEncoder().encode(
                RequestBody(
                    input: texts, model: configuration.model,
                    dimensions: configuration.requestDimensions ? configuration.dimension : nil))
        } catch {
            throw .invalidRequest("cannot encode request: \(error)")
        }
        var headers = ["Content-Type": "application/json", "Accept": "application/json"]
        if let key = configuration.apiKey, !key.isEmpty { headers["Authorization"] = "Bearer \(key)" }
        let response = try await transport.send(
            HTTPTransportRequest(
                method: "POST", url: configuration.baseURL.appendingPathComponent("embeddings"),
                headers: headers, body: body, timeout: configuration.timeout))
        guard (200..<300).contains(response.status) else {
            let detail = (try? JSONDecoder().decode(ErrorBody.self, from: response.body)).map {
                [$0.error.type, $0.error.message].compactMap { $0 }.joined(separator: ": ")
            }
            throw .httpStatus(code: response.status, message: detail ?? "no OpenAI error body")
        }
        let decoded: ResponseBody
        do {
            decoded = try JSONDecoder().decode(ResponseBody.self, from: response.body)
        } catch {
            throw .invalidResponse("body is not an OpenAI embeddings list")
        }
        guard decoded.data.count == texts.count else {
            throw .invalidResponse("\(decoded.data.count) embeddings for \(texts.count) inputs")
        }
        let ordered = decoded.data.sorted { $0.index < $1.index }
        guard ordered.map(\.index) == Array(0..<texts.count) else {
            throw .invalidResponse("embedding indices are not 0..<\(texts.count)")
        }
        var result: [Embedding] = []
        for item in ordered { result.append(try Embedding(model: model, vector: item.embedding)) }
        return result
    }
}
