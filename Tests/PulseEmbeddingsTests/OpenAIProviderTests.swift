import Foundation
import Testing

@testable import PulseEmbeddings

@Suite struct OpenAIProviderTests {
    func provider(_ server: FakeOpenAIServer, dimension: Int = 3, maxBatch: Int = 128) -> OpenAICompatibleEmbeddingProvider {
        var configuration = OpenAIEmbeddingConfiguration(
            baseURL: server.baseURL, apiKey: "sk-test-secret", model: "text-embedding-3-small", dimension: dimension)
        configuration.maxBatch = maxBatch
        configuration.timeout = 10
        return OpenAICompatibleEmbeddingProvider(configuration: configuration)
    }

    @Test func embedsThroughPostEmbeddingsAndKeepsInputOrder() async throws {
        let server = try FakeOpenAIServer { request in
            let body = try! JSONSerialization.jsonObject(with: request.body) as! [String: Any]
            let inputs = body["input"] as! [String]
            // Answer out of order: the provider must sort by index.
            let vectors = inputs.enumerated().reversed().map { (index: $0.offset, vector: [Float($0.offset), 0.5, -1]) }
            return (200, openAIEmbeddingsResponse(model: "text-embedding-3-small", vectors: vectors))
        }
        defer { server.stop() }
        let result = try await provider(server, maxBatch: 2).embed(["a", "b", "c"])
        #expect(result.map(\.vector) == [[0, 0.5, -1], [1, 0.5, -1], [0, 0.5, -1]])
        #expect(result.allSatisfy { $0.model == EmbeddingModelInfo(name: "text-embedding-3-small", dimension: 3) })
        let requests = server.requests
        #expect(requests.count == 2)  // batches of at most 2
        let first = try #require(requests.first)
        #expect(first.method == "POST" && first.path == "/v1/embeddings")
        #expect(first.headers["authorization"] == "Bearer sk-test-secret")
        #expect(first.headers["content-type"] == "application/json")
        let body = try #require(try JSONSerialization.jsonObject(with: first.body) as? [String: Any])
        #expect(body["input"] as? [String] == ["a", "b"])
        #expect(body["model"] as? String == "text-embedding-3-small")
        #expect(body["encoding_format"] as? String == "float")
        #expect(body["dimensions"] == nil)
    }

    @Test func httpErrorCarriesOpenAIMessageButNotTheKey() async throws {
        let server = try FakeOpenAIServer { _ in
            (401, openAIErrorResponse(message: "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key"))
        }
        defer { server.stop() }
        let error = await #expect(throws: EmbeddingError.self) { try await provider(server).embed(["x"]) }
        #expect(error == .httpStatus(code: 401, message: "invalid_request_error: Incorrect API key provided."))
        #expect(error?.description.contains("sk-test-secret") == false)
    }

    @Test func serverErrorWithoutJSONBody() async throws {
        let server = try FakeOpenAIServer { _ in (503, "upstream overloaded") }
        defer { server.stop() }
        await #expect(throws: EmbeddingError.httpStatus(code: 503, message: "no OpenAI error body")) {
            try await provider(server).embed(["x"])
        }
    }

    @Test func dimensionMismatchIsRefused() async throws {
        let server = try FakeOpenAIServer { _ in
            (200, openAIEmbeddingsResponse(model: "m", vectors: [(0, [1, 2, 3])]))
        }
        defer { server.stop() }
        await #expect(throws: EmbeddingError.dimensionMismatch(model: "text-embedding-3-small", expected: 4, received: 3)) {
            try await provider(server, dimension: 4).embed(["x"])
        }
    }

    @Test func malformedAndIncompleteAnswersAreRefused() async throws {
        let server = try FakeOpenAIServer { request in
            let inputs = (try! JSONSerialization.jsonObject(with: request.body) as! [String: Any])["input"] as! [String]
            return inputs.count == 1 ? (200, "{\"data\": 5}") : (200, openAIEmbeddingsResponse(model: "m", vectors: [(0, [1, 2, 3])]))
        }
        defer { server.stop() }
        await #expect(throws: EmbeddingError.invalidResponse("body is not an OpenAI embeddings list")) {
            try await provider(server).embed(["x"])
        }
        await #expect(throws: EmbeddingError.invalidResponse("1 embeddings for 2 inputs")) {
            try await provider(server).embed(["x", "y"])
        }
    }

    @Test func requestsDimensionsWhenConfigured() async throws {
        let server = try FakeOpenAIServer { _ in (200, openAIEmbeddingsResponse(model: "m", vectors: [(0, [1, 2])])) }
        defer { server.stop() }
        var configuration = OpenAIEmbeddingConfiguration(baseURL: server.baseURL, model: "m", dimension: 2)
        configuration.requestDimensions = true
        let embedding = try await OpenAICompatibleEmbeddingProvider(configuration: configuration).embed("x")
        #expect(embedding.vector == [1, 2])
        let request = try #require(server.requests.first)
        #expect(request.headers["authorization"] == nil)
        let body = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
        #expect(body["dimensions"] as? Int == 2)
    }

    @Test func unreachableServerIsATransportError() async throws {
        // A port that was just free: bind, read the port, stop.
        let server = try FakeOpenAIServer { _ in (200, "") }
        let url = server.baseURL
        server.stop()
        let provider = OpenAICompatibleEmbeddingProvider(
            configuration: OpenAIEmbeddingConfiguration(baseURL: url, model: "m", dimension: 2))
        let error = await #expect(throws: EmbeddingError.self) { try await provider.embed(["x"]) }
        guard case .transport = error else {
            Issue.record("expected a transport error, got \(String(describing: error))")
            return
        }
    }

    @Test func vectorsOfDifferentModelsAreNeverCompared() throws {
        let a = try Embedding(model: EmbeddingModelInfo(name: "a", dimension: 2), vector: [1, 0])
        let b = try Embedding(model: EmbeddingModelInfo(name: "b", dimension: 2), vector: [1, 0])
        #expect(try a.cosineSimilarity(to: a) == 1)
        #expect(throws: EmbeddingError.incompatibleModels(a.model, b.model)) { try a.cosineSimilarity(to: b) }
        #expect(throws: EmbeddingError.self) { try Embedding(model: a.model, vector: [1, 2, 3]) }
    }
}
