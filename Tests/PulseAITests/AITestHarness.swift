import Foundation
import Logging
import PulseHTTP
import PulseHTTPClient
import PulseObservability
import PulsePostgres
import PulseSecurity
import PulseService
import PulseTestSupport
import Synchronization
@testable import PulseAI

/// A real PostgreSQL cluster (migrations applied), an engine with the real local model and a
/// temporary data folder, and the /ai routes behind real authentication (a JWKS server and
/// tokens signed with its key), as pulse-ai runs them.
struct AIHarness {
    static let issuer = "http://auth.ai.test"
    static let local = LazyLocalProvider()
    static let key = Ed25519SigningKey.generate()
    static let credentialsKey = String(repeating: "ab", count: 32)

    let cluster: PostgresTestCluster.Handle
    let owner: PostgresDatabase
    let database: PostgresDatabase
    let dataDirectory: String

    static func make(dedicated: Bool = false) async throws -> AIHarness {
        let cluster = dedicated ? try await PostgresTestCluster.dedicated() : try await PostgresTestCluster.shared.start()
        let owner = try PostgresDatabase(configuration: PostgresConfiguration(primary: cluster.connection.ownerURL))
        let database = try PostgresDatabase(configuration: PostgresConfiguration(primary: cluster.connection.primaryURL))
        let directory = NSTemporaryDirectory() + "pulse-ai-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return AIHarness(cluster: cluster, owner: owner, database: database, dataDirectory: directory)
    }

    func engine(batchSize: Int = 16, providerTimeout: TimeInterval = 30, metrics: MetricsRegistry = MetricsRegistry()) throws -> AIEngine {
        var logger = Logger(label: "pulse.ai.test")
        logger.logLevel = .warning
        return try AIEngine(database: database, dataDirectory: dataDirectory, metrics: metrics, logger: logger,
                            credentialsKey: Self.credentialsKey, providerTimeout: providerTimeout, batchSize: batchSize,
                            localProvider: { try AIHarness.local.get() })
    }

    // MARK: Data

    func client() async throws -> Int {
        let slug = "ai-" + UUID().uuidString.prefix(8).lowercased()
        return try await owner.write { tx in
            try await tx.query("INSERT INTO clients (name, slug) VALUES ($1, $2) RETURNING id", "AI \(slug)", slug)[0].decode(Int.self, at: 0)
        }
    }

    func project(_ clientID: Int, key: String, name: String? = nil) async throws -> Int {
        try await database.client(clientID).query(
            "INSERT INTO projects (client_id, key, name) VALUES ($1, $2, $3) RETURNING id", [clientID, key, name ?? "Project \(key)"])[0]
            .decode(Int.self, at: 0)
    }

    @discardableResult
    func workItem(_ clientID: Int, project: Int?, key: String, summary: String, description: String? = nil, storyPoints: Double? = nil,
                  created: Date = Date(timeIntervalSinceNow: -30 * 86_400), resolved: Date? = nil, status: String? = nil,
                  type: String? = "Story") async throws -> Int64 {
        try await database.client(clientID).query("""
            INSERT INTO work_items (client_id, project_id, key, summary, description, story_points, source_created_at, resolved_at, status_name, wit_name)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id
            """, [clientID, project, key, summary, description, storyPoints, created, resolved, status, type])[0].decode(Int64.self, at: 0)
    }

    func repository(_ clientID: Int, name: String, project: Int? = nil) async throws -> Int {
        try await database.client(clientID).query(
            "INSERT INTO repositories (client_id, full_name, project_id) VALUES ($1, $2, $3) RETURNING id", [clientID, name, project])[0]
            .decode(Int.self, at: 0)
    }

    // MARK: HTTP

    func token(clientID: Int, permissions: [String] = ["ai:read", "ai:write"], subject: String = "7") throws -> String {
        try AccessTokenIssuer(issuer: Self.issuer, audience: ["pulse"]).issue(
            subject: subject, clientID: String(clientID), roles: ["admin"], permissions: permissions, sessionID: "s-\(subject)",
            key: SigningKey(Self.key), now: Date()).token
    }

    /// Runs `body` with the /ai routes of `engine` on a live port.
    func withService<T>(_ engine: AIEngine, _ body: (Int) async throws -> T) async throws -> T {
        var keys = Router()
        keys.get("/.well-known/jwks.json") { _ in
            .bytes(JWKSet(keys: [AIHarness.key.verificationKey.jwk]).jsonBytes(), contentType: "application/json")
        }
        return try await withLiveHTTPServer(responder: keys) { _, jwksPort in
            let auth = try ServiceAuthentication(settings: AuthSettings(authURL: "http://127.0.0.1:\(jwksPort)", issuer: Self.issuer),
                                                 client: try HTTPClient())
            var routes = ServiceRoutes()
            AIRoutes(engine: engine, auth: auth).register(on: &routes)
            return try await withLiveHTTPServer(responder: routes.router) { _, port in try await body(port) }
        }
    }
}

/// A JSON HTTP call against a live port.
func call(_ port: Int, _ path: String, token: String?) async throws -> (status: Int, json: Any?, text: String, contentType: String?) {
    try await call(port, .get, path, token: token)
}

func call(_ port: Int, _ method: HTTPMethod, _ path: String, token: String?, json: Any? = nil) async throws -> (status: Int, json: Any?, text: String, contentType: String?) {
    var headers = HTTPHeaders()
    if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
    var body: [UInt8] = []
    if let json {
        headers.add(name: "Content-Type", value: "application/json")
        body = Array(try JSONSerialization.data(withJSONObject: json))
    }
    let response = try await HTTPClient().execute(HTTPClientRequest(method: method, url: "http://127.0.0.1:\(port)\(path)", headers: headers, body: body))
    let parsed = try? JSONSerialization.jsonObject(with: Data(response.body))
    return (response.status.code, parsed, response.bodyText, response.headers["Content-Type"])
}

extension String {
    /// Percent-encodes a query value.
    var queryEncoded: String { addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? self }
}
