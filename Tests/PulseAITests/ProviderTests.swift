import Foundation
import PulseHTTP
import PulsePostgres
import PulseTestSupport
import Synchronization
import Testing
@testable import PulseAI

/// The OpenAI-compatible provider against a local fake embeddings API (a real HTTP server):
/// sealed key, errors, garbage, wrong dimension, timeouts, and the model switch both ways.
@Suite("AI embedding providers", .serialized, .timeLimit(.minutes(5)))
struct ProviderTests {
    final class FakeAPI: Sendable {
        let mode = Mutex("ok")
        let authorizations = Mutex<[String]>([])

        static func vector(_ text: String) -> [Float] {
            var seed = UInt64(truncatingIfNeeded: text.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) })
            return (0..<384).map { _ in
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int(seed >> 40) % 2000 - 1000) / 1000
            }
        }

        var router: Router {
            var router = Router()
            router.post("/v1/embeddings") { [self] request in
                authorizations.withLock { $0.append(request.headers["Authorization"] ?? "") }
                let object = try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]
                let input = object?["input"] as? [String] ?? []
                switch mode.withLock({ $0 }) {
                case "500":
                    return .text(#"{"error": {"message": "upstream overloaded", "type": "server_error"}}"#, status: .internalServerError,
                                 contentType: "application/json")
                case "garbage": return .text("<html>not json</html>", contentType: "text/html")
                case "wrong_dimension":
                    let data = input.enumerated().map { ["index": $0.offset, "embedding": Array(Self.vector($0.element).prefix(100))] as [String: Any] }
                    return .bytes(Array(try JSONSerialization.data(withJSONObject: ["data": data])), contentType: "application/json")
                case "slow":
                    try await Task.sleep(for: .seconds(3))
                    fallthrough
                default:
                    let data = input.enumerated().map { ["index": $0.offset, "embedding": Self.vector($0.element)] as [String: Any] }
                    return .bytes(Array(try JSONSerialization.data(withJSONObject: ["data": data, "model": "fake-embed-384"])),
                                  contentType: "application/json")
                }
            }
            return router
        }
    }

    func embeddedBy(_ h: AIHarness, _ clientID: Int, model: String) async throws -> Int {
        try await h.database.client(clientID).query(
            "SELECT count(*) FROM work_items WHERE client_id = $1 AND embedding_model = $2 AND embedding IS NOT NULL", [clientID, model])[0]
            .decode(Int.self, at: 0)
    }

    @Test func openAICompatibleProviderErrorsTimeoutsAndModelChanges() async throws {
        let h = try await AIHarness.make()
        let clientID = try await h.client()
        let project = try await h.project(clientID, key: "OPS")
        for n in 1...4 {
            try await h.workItem(clientID, project: project, key: "OPS-\(n)", summary: "Rotate the TLS certificates of cluster \(n)",
                                 description: "The certificates of cluster \(n) expire next month.")
        }
        let fake = FakeAPI()
        let engine = try h.engine(batchSize: 2, providerTimeout: 1)
        try await withLiveHTTPServer(responder: fake.router) { _, apiPort in
            try await h.withService(engine) { port in
                let token = try h.token(clientID: clientID)
                await engine.pipeline.drainNow(clientID: clientID)
                #expect(try await embeddedBy(h, clientID, model: "all-MiniLM-L6-v2") == 4)

                fake.mode.withLock { $0 = "500" }  // the drain the settings change starts fails too
                let saved = try await call(port, .put, "/ai/settings", token: token, json: [
                    "provider": "openai", "base_url": "http://127.0.0.1:\(apiPort)/v1", "model": "fake-embed-384", "dimension": 384,
                    "api_key": "sk-test-secret-123",
                ])
                #expect(saved.status == 200, "\(saved.text)")
                #expect((saved.json as? [String: Any])?["has_api_key"] as? Bool == true)
                #expect(!saved.text.contains("sk-test-secret-123"))
                let sealed = try await h.database.client(clientID).query("SELECT api_key_sealed FROM ai_settings WHERE client_id = $1", [clientID])
                let bytes = try #require(try sealed[0].decode(Data?.self, at: 0))
                #expect(!String(decoding: bytes, as: UTF8.self).contains("sk-test"))
                let models = try await h.database.query("SELECT dimension FROM pulse_embedding_models WHERE model = 'fake-embed-384'")
                #expect(try models.first?.decode(Int.self, at: 0) == 384)

                for (mode, expected) in [("500", "HTTP 500"), ("garbage", "invalid response"), ("wrong_dimension", "100 dimensions"),
                                         ("slow", "unreachable")] {
                    fake.mode.withLock { $0 = mode }
                    await engine.pipeline.drainNow(clientID: clientID)
                    let status = engine.pipeline.status(clientID: clientID)
                    #expect(status.state == "error", "\(mode): \(status)")
                    #expect(status.lastError?.contains(expected) == true, "\(mode): \(status.lastError ?? "-")")
                    #expect(try await embeddedBy(h, clientID, model: "fake-embed-384") == 0, "\(mode)")
                    // The service keeps answering: keyword results, and the failure said plainly.
                    let search = try await call(port, "/ai/search?q=certificates", token: token)
                    #expect(search.status == 200)
                    let notes = (search.json as? [String: Any])?["notes"] as? [String] ?? []
                    #expect(notes.first?.contains("vector search unavailable") == true, "\(mode): \(search.text)")
                    #expect(((search.json as? [String: Any])?["results"] as? [Any])?.isEmpty == false)
                }
                // The stored local vectors were not touched by the failures.
                #expect(try await embeddedBy(h, clientID, model: "all-MiniLM-L6-v2") == 4)

                fake.mode.withLock { $0 = "ok" }
                await engine.pipeline.drainNow(clientID: clientID)
                let status = engine.pipeline.status(clientID: clientID)
                #expect(status.state == "idle" && status.model == "fake-embed-384" && status.embedded == 5, "\(status)")
                #expect(try await embeddedBy(h, clientID, model: "fake-embed-384") == 4)
                #expect(fake.authorizations.withLock { $0 }.allSatisfy { $0 == "Bearer sk-test-secret-123" })
                let vectorSearch = try await call(port, "/ai/search?q=\("Rotate the TLS certificates of cluster 3".queryEncoded)&mode=vector",
                                                  token: token)
                #expect((vectorSearch.json as? [String: Any])?["model"] as? String == "fake-embed-384", "\(vectorSearch.text)")

                // Back to the local model: everything is embedded again with it.
                let local = try await call(port, .put, "/ai/settings", token: token, json: ["provider": "local"])
                #expect(local.status == 200, "\(local.text)")
                await engine.pipeline.drainNow(clientID: clientID)
                #expect(try await embeddedBy(h, clientID, model: "all-MiniLM-L6-v2") == 4)
                #expect(engine.pipeline.status(clientID: clientID).model == "all-MiniLM-L6-v2")
                let settings = try await call(port, "/ai/settings", token: token)
                #expect((settings.json as? [String: Any])?["has_api_key"] as? Bool == false)
            }
        }
    }
}
