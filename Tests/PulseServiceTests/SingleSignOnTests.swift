import Foundation
import PulseHTTP
import PulseHTTPClient
import PulsePostgres
import PulseSecurity
import PulseTestSupport
import Testing
@testable import PulseService

/// Single sign-on across real processes: pulse-auth, pulse-backend, pulse-etl and
/// pulse-frontend-gateway against the shared test PostgreSQL. Sign in through the gateway; the cookie works on the
/// backend through the gateway, the bearer token works on the backend directly; missing
/// credentials, permissions and CSRF tokens are refused; a logout reaches the backend through
/// LISTEN/NOTIFY within a second.
@Suite("Single sign-on (processes)", .serialized, .timeLimit(.minutes(3)))
struct SingleSignOnTests {
    /// The auth tests' key-encryption key: signing keys are shared rows sealed with it.
    static let keyEncryptionKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    static let csrfKey = String(repeating: "5a", count: 32)
    static let issuer = "http://auth.sso.test"

    final class Services: @unchecked Sendable {
        let dir = TemporaryDirectory("pulse-sso")
        var pids: [String: pid_t] = [:]
        var ports: [String: Int] = [:]

        func start(_ name: String, executable: String, environment: [String: String]) async throws -> Int {
            let log = dir.path + "/\(name).log"
            let pid = try ChildProcess.spawn(ChildSpec(name: name, executable: buildDirectory + "/" + executable,
                                                       arguments: ["--port", "0", "--config", dir.write("empty.toml", "")],
                                                       environment: environment.merging(["PULSE_LOG_COLOR": "never"]) { $1 }, logFile: log))
            pids[name] = pid
            guard let port = await announcedPort(logFile: log) else {
                throw TestFailure("\(name) did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
            ports[name] = port
            return port
        }

        func stop(_ name: String) async {
            guard let pid = pids.removeValue(forKey: name) else { return }
            kill(pid, SIGTERM)
            if await waitForExit(pid, seconds: 5) == nil {
                kill(pid, SIGKILL)
                _ = await waitForExit(pid, seconds: 5)
            }
        }

        func stopAll() async {
            for name in Array(pids.keys) { await stop(name) }
            dir.remove()
        }

        func log(_ name: String) -> String { (try? String(contentsOfFile: dir.path + "/\(name).log", encoding: .utf8)) ?? "" }
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ text: String) { description = text }
    }

    /// A tenant with an admin (holding `analytics:*` and `etl:*`) and a viewer (no permissions).
    static func seed(_ cluster: PostgresTestCluster.Handle) async throws -> String {
        let owner = try PostgresDatabase(configuration: PostgresConfiguration(primary: cluster.connection.ownerURL))
        let app = try PostgresDatabase(configuration: PostgresConfiguration(primary: cluster.connection.primaryURL))
        let slug = "sso-" + UUID().uuidString.prefix(8).lowercased()
        let hasher = try PasswordHasher(iterations: 1000)
        let clientID = try await owner.write { tx in
            try await tx.query("INSERT INTO clients (name, slug) VALUES ($1, $2) RETURNING id", "SSO \(slug)", slug)[0].decode(Int.self, at: 0)
        }
        try await app.client(clientID).write { tx in
            let admin = try await tx.query("INSERT INTO roles (client_id, name) VALUES ($1, 'admin') RETURNING id", clientID)[0].decode(Int.self, at: 0)
            // As the demo admin role: whole areas (`analytics:*` covers the backend's and the
            // gateway's `analytics:read`, `etl:*` the ETL service's `etl:read`).
            for permission in ["analytics:*", "etl:*"] {
                try await tx.query("INSERT INTO role_permissions (client_id, role_id, permission) VALUES ($1, $2, $3)", clientID, admin, permission)
            }
            let viewer = try await tx.query("INSERT INTO roles (client_id, name) VALUES ($1, 'viewer') RETURNING id", clientID)[0].decode(Int.self, at: 0)
            for (email, role) in [("admin@sso.test", admin), ("viewer@sso.test", viewer)] {
                let user = try await tx.query("INSERT INTO users (client_id, email, password_hash) VALUES ($1, $2, $3) RETURNING id",
                                              clientID, email, hasher.hash("correct horse"))[0].decode(Int.self, at: 0)
                try await tx.query("INSERT INTO user_roles (client_id, user_id, role_id) VALUES ($1, $2, $3)", clientID, user, role)
            }
        }
        await owner.shutdown()
        await app.shutdown()
        return slug
    }

    struct Login {
        var accessToken: String
        var csrfToken: String
        var cookie: String
    }

    static func login(_ client: HTTPClient, gateway: Int, slug: String, email: String) async throws -> Login {
        let body = try JSONSerialization.data(withJSONObject: ["client": slug, "email": email, "password": "correct horse"])
        let response = try await client.post("http://127.0.0.1:\(gateway)/auth/login", headers: ["Content-Type": "application/json"], body: Array(body))
        guard response.status == .ok, let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let access = json["access_token"] as? String, let csrf = json["csrf_token"] as? String,
              let setCookie = response.headers["Set-Cookie"], let pair = setCookie.split(separator: ";").first
        else { throw TestFailure("login failed: \(response.status.code) \(response.bodyText)") }
        return Login(accessToken: access, csrfToken: csrf, cookie: String(pair))
    }

    @Test func signInOnceUseEverywhereAndRevoke() async throws {
        // Its own cluster: other tests rotate the (global) signing keys, and a key that
        // changes between the backend's JWKS fetch and the sign-in would fail this test.
        let cluster = try await PostgresTestCluster.dedicated()
        let slug = try await Self.seed(cluster)
        let services = Services()
        do {
            try await run(services, cluster: cluster, slug: slug)
        } catch {
            Issue.record("\(error)\n--- auth\n\(services.log("auth"))\n--- backend\n\(services.log("backend"))\n--- etl\n\(services.log("etl"))\n--- gateway\n\(services.log("gateway"))")
        }
        await services.stopAll()
    }

    func run(_ services: Services, cluster: PostgresTestCluster.Handle, slug: String) async throws {
        var environment = ["DATABASE_URL": cluster.connection.primaryURL, "DATABASE_REPLICA_URL": "",
                           "AUTH_KEY_ENCRYPTION_KEY": Self.keyEncryptionKey, "AUTH_ISSUER": Self.issuer, "AUTH_CSRF_KEY": Self.csrfKey]
        let authPort = try await services.start("auth", executable: "pulse-auth", environment: environment)
        environment["AUTH_URL"] = "http://127.0.0.1:\(authPort)"
        let backend = try await services.start("backend", executable: "pulse-backend", environment: environment)
        environment["BACKEND_URL"] = "http://127.0.0.1:\(backend)"
        let etl = try await services.start("etl", executable: "pulse-etl", environment: environment)
        environment["ETL_URL"] = "http://127.0.0.1:\(etl)"
        let gateway = try await services.start("gateway", executable: "pulse-frontend-gateway", environment: environment)
        let http = try HTTPClient()
        // Ready once the keys were fetched from pulse-auth.
        var ready = false
        for _ in 0..<100 where !ready {
            ready = (try? await http.get("http://127.0.0.1:\(backend)/ready"))?.status == .ok
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(ready, "backend /ready")

        let admin = try await Self.login(http, gateway: gateway, slug: slug, email: "admin@sso.test")
        let viaGateway = "http://127.0.0.1:\(gateway)/api/v1/session"
        let direct = "http://127.0.0.1:\(backend)/api/v1/session"

        // The session cookie works on the backend through the gateway.
        let cookie = try await http.get(viaGateway, headers: ["Cookie": admin.cookie, "X-Request-ID": "sso-test-1"])
        #expect(cookie.status == .ok, "\(cookie.bodyText)")
        let document = try JSONSerialization.jsonObject(with: Data(cookie.body)) as? [String: Any]
        #expect(document?["service"] as? String == "backend")
        #expect(document?["credential"] as? String == "session_cookie")
        #expect(document?["roles"] as? [String] == ["admin"])
        #expect(cookie.headers["X-Request-ID"] == "sso-test-1")
        #expect(cookie.headers["X-Content-Type-Options"] == "nosniff")
        // The bearer token works on the backend directly.
        let bearer = try await http.get(direct, headers: ["Authorization": "Bearer \(admin.accessToken)"])
        #expect(bearer.status == .ok, "\(bearer.bodyText)")
        #expect((try JSONSerialization.jsonObject(with: Data(bearer.body)) as? [String: Any])?["credential"] as? String == "bearer")
        // The same cookie on the ETL service through the gateway.
        let etlSession = try await http.get("http://127.0.0.1:\(gateway)/etl/session", headers: ["Cookie": admin.cookie])
        #expect(etlSession.status == .ok)
        #expect((try JSONSerialization.jsonObject(with: Data(etlSession.body)) as? [String: Any])?["service"] as? String == "etl")
        // And on the gateway's own protected endpoint.
        #expect(try await http.get("http://127.0.0.1:\(gateway)/gateway/session", headers: ["Cookie": admin.cookie]).status == .ok)

        // No credentials: 401 problem+json, directly and through the gateway.
        for url in [direct, viaGateway] {
            let anonymous = try await http.get(url)
            #expect(anonymous.status.code == 401)
            #expect(anonymous.headers["Content-Type"]?.hasPrefix("application/problem+json") == true)
        }
        #expect(try await http.get(direct, headers: ["Cookie": "pulse_session=1.forged"]).status.code == 401)
        // Missing permission: 403.
        let viewer = try await Self.login(http, gateway: gateway, slug: slug, email: "viewer@sso.test")
        let viewerDirect = try await http.get(direct, headers: ["Authorization": "Bearer \(viewer.accessToken)"])
        #expect(viewerDirect.status.code == 403, "\(viewerDirect.bodyText)")
        #expect(try await http.get(viaGateway, headers: ["Cookie": viewer.cookie]).status.code == 403)

        // Cookie-authenticated writes need the CSRF token pulse-auth issued for that session.
        let ping = viaGateway + "/ping"
        #expect(try await http.post(ping, headers: ["Cookie": admin.cookie], body: []).status.code == 403)
        #expect(try await http.post(ping, headers: ["Cookie": admin.cookie, "X-CSRF-Token": viewer.csrfToken], body: []).status.code == 403)
        #expect(try await http.post(ping, headers: ["Cookie": admin.cookie, "X-CSRF-Token": admin.csrfToken], body: []).status == .ok)
        #expect(try await http.post(direct + "/ping", headers: ["Authorization": "Bearer \(admin.accessToken)"], body: []).status == .ok)

        // Logout through the gateway; the backend refuses both credentials within a second.
        let logout = try await http.post("http://127.0.0.1:\(gateway)/auth/logout",
                                         headers: ["Cookie": admin.cookie, "X-CSRF-Token": admin.csrfToken], body: [])
        #expect(logout.status.code == 204, "\(logout.bodyText)")
        let loggedOut = ContinuousClock.now
        var bearerRefused = false, cookieRefused = false, etlRefused = false
        while ContinuousClock.now - loggedOut < .seconds(1) && !(bearerRefused && cookieRefused && etlRefused) {
            bearerRefused = try await http.get(direct, headers: ["Authorization": "Bearer \(admin.accessToken)"]).status.code == 401
            cookieRefused = try await http.get(viaGateway, headers: ["Cookie": admin.cookie]).status.code == 401
            etlRefused = try await http.get("http://127.0.0.1:\(etl)/etl/session", headers: ["Authorization": "Bearer \(admin.accessToken)"]).status.code == 401
            if !(bearerRefused && cookieRefused && etlRefused) { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(bearerRefused, "bearer token of the signed-out session still accepted by the backend after 1 s")
        #expect(cookieRefused, "cookie of the signed-out session still accepted after 1 s")
        #expect(etlRefused, "bearer token of the signed-out session still accepted by the ETL service after 1 s")
        // The other session is untouched.
        #expect(try await http.get(direct, headers: ["Authorization": "Bearer \(viewer.accessToken)"]).status.code == 403)

        // An upstream that is down is a 502 problem, not a hang.
        await services.stop("backend")
        let down = try await http.get(viaGateway, headers: ["Authorization": "Bearer \(viewer.accessToken)"])
        #expect(down.status.code == 502)
        #expect(down.headers["Content-Type"]?.hasPrefix("application/problem+json") == true)
    }
}
