import Foundation
import Logging
import PulseConfiguration
import PulseHTTP
import PulseHTTPClient
import PulseSecurity
import PulseTestSupport
import Synchronization
import Testing
@testable import PulseService

/// The verifier wiring in one process: a real JWKS endpoint (PulseHTTP serving an Ed25519
/// key set), tokens signed with those keys, and a service router using
/// `ServiceAuthentication` exactly as the executables do. Cookie sessions and pushed
/// revocations against the real pulse-auth are in `SingleSignOnTests`.
@Suite("Service authentication", .timeLimit(.minutes(2)))
struct ServiceAuthenticationTests {
    static let issuer = "http://auth.unit.test"

    /// The published key set, changeable while the JWKS server runs (key rotation).
    final class KeyServer: Sendable {
        let keys: Mutex<[Ed25519SigningKey]>
        let fetches = Atomic<Int>(0)
        init(_ keys: [Ed25519SigningKey]) { self.keys = Mutex(keys) }
        var router: Router {
            var router = Router()
            router.get("/.well-known/jwks.json") { [self] _ in
                fetches.add(1, ordering: .relaxed)
                let set = JWKSet(keys: keys.withLock { $0.map(\.verificationKey.jwk) })
                return .bytes(set.jsonBytes(), contentType: "application/json")
            }
            return router
        }
    }

    func token(_ key: Ed25519SigningKey, permissions: [String], sid: String? = "s-1", issuer: String = issuer,
               now: Date = Date()) throws -> String {
        try AccessTokenIssuer(issuer: issuer, audience: ["pulse"]).issue(
            subject: "7", clientID: "3", roles: ["admin"], permissions: permissions, sessionID: sid, key: SigningKey(key), now: now).token
    }

    /// A service with the session endpoints, in front of the key server.
    func withService(_ keys: KeyServer, _ body: (ServiceAuthentication, Int) async throws -> Void) async throws {
        try await withLiveHTTPServer(responder: keys.router) { _, jwksPort in
            let auth = try ServiceAuthentication(settings: AuthSettings(authURL: "http://127.0.0.1:\(jwksPort)", issuer: Self.issuer),
                                                 client: try HTTPClient())
            var routes = ServiceRoutes()
            SessionRoutes.register(on: &routes, path: "/api/v1/session", auth: auth, service: "backend", permission: "session:read")
            routes.get("/api/v1/tenant", summary: "The caller's tenant.", middleware: [auth.require("session:read")]) { request in
                .text("tenant \(try request.tenantID())")
            }
            routes.get("/api/v1/unprotected", summary: "A route without the middleware.") { request in
                .text("tenant \(try request.tenantID())")
            }
            try await withLiveHTTPServer(responder: routes.router) { _, port in try await body(auth, port) }
        }
    }

    func get(_ port: Int, token: String?, method: HTTPMethod = .get, path: String = "/api/v1/session") async throws -> HTTPClientResponse {
        var headers = HTTPHeaders()
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        return try await HTTPClient().execute(HTTPClientRequest(method: method, url: "http://127.0.0.1:\(port)\(path)", headers: headers))
    }

    @Test func bearerTokensAreVerifiedAndPermissionsEnforced() async throws {
        let key = Ed25519SigningKey.generate()
        try await withService(KeyServer([key])) { _, port in
            let ok = try await get(port, token: try token(key, permissions: ["session:read"]))
            #expect(ok.status == .ok)
            let body = try JSONSerialization.jsonObject(with: Data(ok.body)) as? [String: Any]
            #expect(body?["user"] as? String == "7")
            #expect(body?["client_id"] as? String == "3")
            #expect(body?["credential"] as? String == "bearer")
            #expect(body?["permissions"] as? [String] == ["session:read"])
            // POST with a bearer token needs no CSRF token (no ambient credential).
            #expect(try await get(port, token: try token(key, permissions: ["session:*"]), method: .post, path: "/api/v1/session/ping").status == .ok)

            #expect(try await get(port, token: try token(key, permissions: ["session:read"]), path: "/api/v1/tenant").bodyText == "tenant 3")
            // Without the middleware nothing is authenticated: asking for the tenant is a 401.
            #expect(try await get(port, token: try token(key, permissions: ["session:read"]), path: "/api/v1/unprotected").status.code == 401)

            let none = try await get(port, token: nil)
            #expect(none.status.code == 401)
            #expect(none.headers["Content-Type"]?.hasPrefix("application/problem+json") == true)
            #expect(none.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
            #expect(try await get(port, token: try token(key, permissions: ["dora:read"])).status.code == 403)
            #expect(try await get(port, token: "not.a.jwt").status.code == 401)
            #expect(try await get(port, token: try token(key, permissions: ["session:read"], issuer: "http://evil.test")).status.code == 401)
            let old = Date().addingTimeInterval(-7200)
            #expect(try await get(port, token: try token(key, permissions: ["session:read"], now: old)).status.code == 401)
            // A token signed by a key the issuer never published.
            #expect(try await get(port, token: try token(Ed25519SigningKey.generate(), permissions: ["session:read"])).status.code == 401)
        }
    }

    @Test func rotatedKeyIsFetchedOnUnknownKid() async throws {
        let first = Ed25519SigningKey.generate(), second = Ed25519SigningKey.generate()
        let keys = KeyServer([first])
        try await withService(keys) { auth, port in
            #expect(try await get(port, token: try token(first, permissions: ["session:read"])).status == .ok)
            keys.keys.withLock { $0.append(second) }
            try await Task.sleep(for: .milliseconds(2100))  // past the refetch rate limit of the first fetch
            #expect(try await get(port, token: try token(second, permissions: ["session:read"])).status == .ok)
            #expect(auth.verifier.keys.keyIDs.contains(second.keyID))
            #expect(keys.fetches.load(ordering: .relaxed) == 2)
        }
    }

    @Test func pushedRevocationTakesEffectAtOnce() async throws {
        let key = Ed25519SigningKey.generate()
        try await withService(KeyServer([key])) { auth, port in
            let session = try token(key, permissions: ["session:read"], sid: "sess-9")
            let other = try token(key, permissions: ["session:read"], sid: "sess-10")
            #expect(try await get(port, token: session).status == .ok)
            auth.apply([try RevocationEvent(payload: #"{"sid":"sess-9","until":\#(Int(Date().timeIntervalSince1970) + 600)}"#)])
            #expect(try await get(port, token: session).status.code == 401)
            #expect(try await get(port, token: other).status == .ok)
        }
    }

    @Test func authUnreachableIsNotReadyAndTokensFailClosed() async throws {
        let auth = try ServiceAuthentication(settings: AuthSettings(authURL: "http://127.0.0.1:\(FreePorts.one())", issuer: Self.issuer),
                                             client: try HTTPClient())
        #expect(await auth.readinessCheck.check() != .ready)
        var routes = ServiceRoutes()
        SessionRoutes.register(on: &routes, path: "/s", auth: auth, service: "t", permission: "session:read")
        try await withLiveHTTPServer(responder: routes.router) { _, port in
            let response = try await get(port, token: try token(Ed25519SigningKey.generate(), permissions: ["session:read"]), path: "/s")
            #expect(response.status.code == 503 || response.status.code == 401)
        }
    }

    @Test func settingsComeFromTheEnvironment() throws {
        let snapshot = ConfigurationSnapshot()
        let defaults = try AuthSettings.fromEnvironment([:], snapshot: snapshot)
        #expect(defaults.authURL == "http://127.0.0.1:4000")
        #expect(defaults.jwksURL == "http://127.0.0.1:4000/.well-known/jwks.json")
        #expect(defaults.issuer == "http://127.0.0.1:4000")
        #expect(defaults.csrfKey == nil)
        let set = try AuthSettings.fromEnvironment(["AUTH_URL": "http://auth:9/", "AUTH_ISSUER": "https://id.example",
                                                    "AUTH_CSRF_KEY": String(repeating: "ab", count: 32)], snapshot: snapshot)
        #expect(set.jwksURL == "http://auth:9/.well-known/jwks.json")
        #expect(set.issuer == "https://id.example")
        #expect(set.csrfKey?.count == 32)
        #expect(throws: AuthSettings.Invalid.self) { try AuthSettings.fromEnvironment(["AUTH_CSRF_KEY": "short"], snapshot: snapshot) }
        // A CA file that cannot be read stops the service at start, not at the first request.
        let pinned = try AuthSettings.fromEnvironment(["AUTH_URL": "https://auth.internal", "AUTH_CA_FILE": "/nonexistent/ca.pem"],
                                                      snapshot: snapshot)
        #expect(throws: HTTPClientError.self) { _ = try pinned.makeClient() }
        #expect(throws: AuthSettings.Invalid.self) { try AuthSettings.fromEnvironment(["AUTH_URL": "ftp://x"], snapshot: snapshot) }
    }

    @Test func settingsComeFromTheCatalogueUnlessAnAuthVariableIsSet() throws {
        let snapshot = try ConfigurationLoader.load(files: [], environment: [
            "PULSE_AUTH_URL": "https://auth.internal:8443", "PULSE_AUTH_AUDIENCE": "pulse-prod",
            "PULSE_AUTH_SESSION_CACHE_SECONDS": "5", "PULSE_AUTH_CSRF_KEY": String(repeating: "cd", count: 32),
        ])
        let fromCatalogue = try AuthSettings.fromEnvironment([:], snapshot: snapshot)
        #expect(fromCatalogue.authURL == "https://auth.internal:8443")
        #expect(fromCatalogue.jwksURL == "https://auth.internal:8443/.well-known/jwks.json")
        #expect(fromCatalogue.audience == "pulse-prod")
        #expect(fromCatalogue.sessionCacheLifetime == 5)
        #expect(fromCatalogue.csrfKey == Array(repeating: 0xcd, count: 32))
        let overridden = try AuthSettings.fromEnvironment(["AUTH_URL": "http://auth:9", "AUTH_SESSION_CACHE_SECONDS": "0"], snapshot: snapshot)
        #expect(overridden.authURL == "http://auth:9")
        #expect(overridden.sessionCacheLifetime == 0)
    }
}
