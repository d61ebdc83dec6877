import Foundation

@testable import PulseEmbeddings

/// The installed model, loaded once for all tests. Missing or corrupt → the error
/// (whose text says to run scripts/install-model.sh) fails the calling test.
enum TestModel {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static let loaded: Result<LocalEmbeddingModel, EmbeddingError> = {
        let configuration = LocalModelConfiguration.resolve(workingDirectory: packageRoot)
        return Result { () throws(EmbeddingError) in try LocalEmbeddingModel(configuration: configuration) }
    }()

    static func model() throws -> LocalEmbeddingModel { try loaded.get() }
}

struct ReferenceFixture: Decodable {
    struct Item: Decodable {
        let text: String
        let input_ids: [Int32]
        let embedding: [Float]
    }
    let items: [Item]

    static func load() throws -> ReferenceFixture {
        let path = TestModel.packageRoot + "/Tests/PulseEmbeddingsTests/Fixtures/minilm-l6-v2-reference.json"
        return try JSONDecoder().decode(ReferenceFixture.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// A fresh temporary directory, removed by `cleanup`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "pulse-embeddings-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}
