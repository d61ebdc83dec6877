import Foundation
import Logging
import PulseAuth
import PulseConfiguration
import PulseHTTP
import PulsePostgres
import PulseSecurity
import PulseService
import PulseTestSupport

/// One live auth service on 127.0.0.1:0 against the shared test cluster, with its own
/// tenants (unique slugs), so tests run in parallel without seeing each other.
final class AuthHarness: Sendable {
    /// All harnesses share one key: signing keys are global rows sealed with it.
    static let encryptionKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    static let cheapHasher = try! PasswordHasher(iterations: 1000)

    let cluster: PostgresTestCluster.Handle
    let database: PostgresDatabase
    let owner: PostgresDatabase
    let service: AuthService
    let application: ServiceApplication
    let port: Int
    let clock: ManualWallClock

    static func configuration() throws -> AuthConfiguration {
        var configuration = AuthConfiguration(issuer: "http://auth.test", keyEncryptionKey: try AESGCMKey(configured: encryptionKey))
        configuration.passwordHasher = cheapHasher
        // Parallel tests all come from 127.0.0.1: each harness throttles in its own memory
        // (the shared, database-backed throttle has its own test with distinct addresses).
        configuration.sharedThrottle = false
        return configuration
    }

    init(configuration: AuthConfiguration? = nil) async throws {
        cluster = try await PostgresTestCluster.shared.start()
        // Small pools: many harnesses run in parallel against one cluster (max_connections 100).
        var app = PostgresConfiguration(primary: cluster.connection.primaryURL)
        app.primaryPool.maxConnections = 4
        var ownerConfiguration = PostgresConfiguration(primary: cluster.connection.ownerURL)
        ownerConfiguration.primaryPool.maxConnections = 1
        database = try PostgresDatabase(configuration: app)
        owner = try PostgresDatabase(configuration: ownerConfiguration)
        let clock = ManualWallClock(Date())
        self.clock = clock
        service = try await AuthService.start(configuration: try configuration ?? Self.configuration(), database: database, clock: clock)
        var definition = ServiceDefinition(configuration: ServiceConfiguration(service: .auth, port: 0, accessLog: false))
        AuthServiceComposition.install(service, into: &definition, logger: Logger(label: "test.auth"))
        application = ServiceApplication(definition: definition, logger: Logger(label: "test.auth"), environment: [:])
        port = try application.start()
    }

    func shutdown() async {
        await application.shutdown()
        await database.shutdown()
        await owner.shutdown()
    }

    /// A new tenant (as the owner role, like `pulse clients create`).
    func createClient() async throws -> (id: Int, slug: String) {
        let slug = "t-" + UUID().uuidString.prefix(13).lowercased()
        let id = try await owner.write { tx in
            try await tx.query("INSERT INTO clients (name, slug) VALUES ($1, $2) RETURNING id", "Test \(slug)", slug)[0].decode(Int.self, at: 0)
        }
        return (id, slug)
    }

    @discardableResult
    func createUser(clientID: Int, email: String, password: String, roles: [String] = []) async throws -> Int {
        try await database.client(clientID).write { tx in
            let id = try await tx.query("INSERT INTO users (client_id, email, password_hash) VALUES ($1, $2, $3) RETURNING id",
                                        clientID, email.lowercased(), Self.cheapHasher.hash(password))[0].decode(Int.self, at: 0)
            for role in roles {
                let roleID = try await tx.query(
                    "INSERT INTO roles (client_id, name) VALUES ($1, $2) ON CONFLICT (client_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
                    clientID, role)[0].decode(Int.self, at: 0)
                try await tx.query("INSERT INTO user_roles (client_id, user_id, role_id) VALUES ($1, $2, $3)", clientID, id, roleID)
            }
            return id
        }
    }

    func grant(clientID: Int, role: String, permission: String) async throws {
        try await database.client(clientID).write { tx in
            let roleID = try await tx.query(
                "INSERT INTO roles (client_id, name) VALUES ($1, $2) ON CONFLICT (client_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
                clientID, role)[0].decode(Int.self, at: 0)
            try await tx.query("INSERT INTO role_permissions (client_id, role_id, permission) VALUES ($1, $2, $3)", clientID, roleID, permission)
        }
    }

    func auditEvents(clientID: Int) async throws -> [String] {
        try await database.client(clientID).read { tx in
            try await tx.query("SELECT event_type FROM auth_audit_events ORDER BY id").map { try $0.decode(String.self, at: 0) }
        }
    }

    // MARK: HTTP

    func request(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []) async throws -> TestHTTPResponse {
        let client = try HTTPTestClient(port: port)
        return try await client.request(method, path, headers: headers, body: body)
    }

    func postJSON(_ path: String, _ object: [String: String], headers: [(String, String)] = []) async throws -> TestHTTPResponse {
        let body = try JSONSerialization.data(withJSONObject: object)
        return try await request("POST", path, headers: [("Content-Type", "application/json")] + headers, body: Array(body))
    }

    func postForm(_ path: String, _ fields: [(String, String)], headers: [(String, String)] = []) async throws -> TestHTTPResponse {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let text = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
        return try await request("POST", path, headers: [("Content-Type", "application/x-www-form-urlencoded")] + headers, body: Array(text.utf8))
    }

    func login(slug: String, email: String, password: String, headers: [(String, String)] = []) async throws -> TestHTTPResponse {
        try await postJSON("/auth/login", ["client": slug, "email": email, "password": password], headers: headers)
    }
}

extension TestHTTPResponse {
    var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]) ?? [:] }
    func string(_ key: String) -> String? { json[key] as? String }
}
