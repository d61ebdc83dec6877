import Foundation
import Logging
import PulseAuth
import PulseBackend
import PulseConfiguration
import PulseHTTP
import PulsePostgres
import PulseSecurity
import PulseService
import PulseTestSupport
import Testing

/// Every backend suite, one at a time: each harness holds a dozen connections of the shared
/// test cluster (pools, LISTEN feeds), and the whole test run shares max_connections 100.
@Suite("Backend", .serialized)
struct BackendTests {}

/// A live pulse-auth and pulse-backend on 127.0.0.1:0 (real sockets, real PostgreSQL from the
/// shared test cluster, real LISTEN/NOTIFY between them), each test with its own tenants.
final class BackendHarness: Sendable {
    static let keyEncryptionKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    static let credentialsKey = String(repeating: "7c", count: 32)
    static let csrfKey = String(repeating: "5a", count: 32)
    static let hasher = try! PasswordHasher(iterations: 1000)
    static let password = "correct horse battery"

    let cluster: PostgresTestCluster.Handle
    let database: PostgresDatabase
    let owner: PostgresDatabase
    let authApplication: ServiceApplication
    let backendApplication: ServiceApplication
    let authPort: Int
    let port: Int

    init(configureAuth: (inout AuthConfiguration) -> Void = { _ in }) async throws {
        cluster = try await PostgresTestCluster.shared.start()
        var app = PostgresConfiguration(primary: cluster.connection.primaryURL)
        app.primaryPool.maxConnections = 4
        var ownerConfiguration = PostgresConfiguration(primary: cluster.connection.ownerURL)
        ownerConfiguration.primaryPool.maxConnections = 1
        database = try PostgresDatabase(configuration: app)
        owner = try PostgresDatabase(configuration: ownerConfiguration)

        var authConfiguration = AuthConfiguration(issuer: "http://auth.backend.test", keyEncryptionKey: try AESGCMKey(configured: Self.keyEncryptionKey))
        authConfiguration.passwordHasher = Self.hasher
        authConfiguration.sharedThrottle = false
        authConfiguration.csrfKey = try AESGCMKey(configured: Self.csrfKey).bytes
        configureAuth(&authConfiguration)
        let authService = try await AuthService.start(configuration: authConfiguration, database: database)
        var authDefinition = ServiceDefinition(configuration: ServiceConfiguration(service: .auth, port: 0, accessLog: false))
        AuthServiceComposition.install(authService, into: &authDefinition, logger: Logger(label: "test.auth"))
        authApplication = ServiceApplication(definition: authDefinition, logger: Logger(label: "test.auth"), environment: [:])
        authPort = try authApplication.start()

        var definition = ServiceDefinition(configuration: ServiceConfiguration(service: .backend, port: 0, accessLog: false))
        definition.database = database
        try BackendServiceComposition.install(into: &definition, logger: Logger(label: "test.backend"), environment: [
            "AUTH_URL": "http://127.0.0.1:\(authPort)", "AUTH_ISSUER": "http://auth.backend.test", "AUTH_CSRF_KEY": Self.csrfKey,
            "PULSE_INTEGRATIONS_CREDENTIALS_KEY": Self.credentialsKey,
        ])
        backendApplication = ServiceApplication(definition: definition, logger: Logger(label: "test.backend"), environment: [:])
        port = try backendApplication.start()
    }

    func shutdown() async {
        await backendApplication.shutdown()
        await authApplication.shutdown()
        await database.shutdown()
        await owner.shutdown()
    }

    // MARK: Tenants

    struct Tenant {
        var id: Int
        var slug: String
    }

    /// A client as `pulse clients create` makes it: built-in roles included.
    func createClient(platform: Bool = false) async throws -> Tenant {
        let slug = (platform ? "op-" : "b-") + UUID().uuidString.prefix(12).lowercased()
        let id = try await owner.write { tx in
            try await tx.query("INSERT INTO clients (name, slug) VALUES ($1, $2) RETURNING id", "Test \(slug)", slug)[0].decode(Int.self, at: 0)
        }
        if !platform { try await database.client(id).write { tx in try await BuiltInRoles.install(tx, clientID: id) } }
        return Tenant(id: id, slug: slug)
    }

    /// The platform client (one per cluster) with an `operator` role holding clients:admin.
    func platformClient() async throws -> Tenant {
        let existing = try await owner.read { tx in try await tx.query("SELECT id, slug FROM clients WHERE is_platform").first }
        let tenant: Tenant
        if let existing {
            tenant = Tenant(id: try existing.decode(Int.self, at: 0), slug: try existing.decode(String.self, at: 1))
        } else {
            do {
                tenant = try await owner.write { tx in
                    let row = try await tx.query("INSERT INTO clients (name, slug, is_platform) VALUES ('Operators', 'pulse-operators', true) RETURNING id, slug")[0]
                    return Tenant(id: try row.decode(Int.self, at: 0), slug: try row.decode(String.self, at: 1))
                }
            } catch {
                return try await platformClient()  // another test made it meanwhile
            }
        }
        try await grant(tenant.id, role: "operator", permissions: ["clients:admin"])
        return tenant
    }

    func grant(_ clientID: Int, role: String, permissions: [String]) async throws {
        try await database.client(clientID).write { tx in
            let roleID = try await tx.query(
                "INSERT INTO roles (client_id, name) VALUES ($1, $2) ON CONFLICT (client_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
                clientID, role)[0].decode(Int.self, at: 0)
            for permission in permissions {
                try await tx.query("INSERT INTO role_permissions (client_id, role_id, permission) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                                   clientID, roleID, permission)
            }
        }
    }

    @discardableResult
    func createUser(_ tenant: Tenant, email: String, roles: [String]) async throws -> Int {
        try await database.client(tenant.id).write { tx in
            let id = try await tx.query("INSERT INTO users (client_id, email, password_hash) VALUES ($1, $2, $3) RETURNING id",
                                        tenant.id, email, Self.hasher.hash(Self.password))[0].decode(Int.self, at: 0)
            for role in roles {
                let roleID = try await tx.query(
                    "INSERT INTO roles (client_id, name) VALUES ($1, $2) ON CONFLICT (client_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
                    tenant.id, role)[0].decode(Int.self, at: 0)
                try await tx.query("INSERT INTO user_roles (client_id, user_id, role_id) VALUES ($1, $2, $3)", tenant.id, id, roleID)
            }
            return id
        }
    }

    /// Signs in; the login answer (access token, CSRF token, cookie).
    func login(_ tenant: Tenant, email: String) async throws -> Session {
        let body = try JSONSerialization.data(withJSONObject: ["client": tenant.slug, "email": email, "password": Self.password])
        let response = try await HTTPTestClient(port: authPort).request("POST", "/auth/login", headers: [("Content-Type", "application/json")],
                                                                          body: Array(body))
        guard response.status == 200, let token = response.json["access_token"] as? String else {
            throw HarnessError("login of \(email) failed: \(response.status) \(response.bodyText)")
        }
        let cookie = response.headers["Set-Cookie"].flatMap { $0.split(separator: ";").first.map(String.init) }
        return Session(token: token, csrf: response.json["csrf_token"] as? String, cookie: cookie)
    }

    func loginStatus(_ tenant: Tenant, email: String) async throws -> Int {
        let body = try JSONSerialization.data(withJSONObject: ["client": tenant.slug, "email": email, "password": Self.password])
        return try await HTTPTestClient(port: authPort).request("POST", "/auth/login", headers: [("Content-Type", "application/json")],
                                                                body: Array(body)).status
    }

    /// A signed-in user of a new client holding `roles`.
    func signedIn(_ tenant: Tenant, roles: [String]) async throws -> Session {
        let email = "u-\(UUID().uuidString.prefix(8).lowercased())@example.test"
        let id = try await createUser(tenant, email: email, roles: roles)
        var session = try await login(tenant, email: email)
        session.userID = id
        session.email = email
        return session
    }

    struct Session {
        var token: String
        var csrf: String?
        var cookie: String?
        var userID: Int = 0
        var email = ""
    }

    // MARK: HTTP

    func request(_ method: String, _ path: String, session: Session? = nil, json: Any? = nil, body: [UInt8] = [],
                 headers: [(String, String)] = []) async throws -> TestHTTPResponse {
        var all = headers
        var bytes = body
        if let session { all.append(("Authorization", "Bearer \(session.token)")) }
        if let json {
            bytes = Array(try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed]))
            all.append(("Content-Type", "application/json"))
        }
        if bytes.isEmpty, method == "PATCH" || method == "DELETE" { all.append(("Content-Length", "0")) }
        return try await HTTPTestClient(port: port).request(method, path, headers: all, body: bytes)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ text: String) { description = text }
}

extension TestHTTPResponse {
    var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]) ?? [:] }
    var jsonArray: [[String: Any]] { ((try? JSONSerialization.jsonObject(with: Data(body))) as? [[String: Any]]) ?? [] }
    var items: [[String: Any]] { (json["items"] as? [[String: Any]]) ?? [] }
    var detail: String { (json["detail"] as? String) ?? "" }
}
