import Foundation
import PulseHTTP
import PulseSecurity
import PulseTestSupport
import Testing
@testable import PulseAuth

/// Issue 13 item 7, the pulse-auth side: nobody grants more than they hold, the last active
/// admin stays, and forwarded addresses are believed only from configured proxies.
extension BackendTests {
@Suite("Auth defects of issue 13", .timeLimit(.minutes(3)))
struct AuthDefectTests {
    func auth(_ h: BackendHarness, _ session: BackendHarness.Session, _ method: String, _ path: String, json: [String: String]? = nil,
              headers: [(String, String)] = []) async throws -> TestHTTPResponse {
        var all = headers + [("Authorization", "Bearer \(session.token)")]
        var body: [UInt8] = []
        if let json {
            body = Array(try JSONSerialization.data(withJSONObject: json))
            all.append(("Content-Type", "application/json"))
        }
        return try await HTTPTestClient(port: h.authPort).request(method, path, headers: all, body: body)
    }

    @Test func nobodyGrantsAPermissionTheyDoNotHold() async throws {
        let h = try await BackendHarness()
        do {
            let tenant = try await h.createClient()
            try await h.grant(tenant.id, role: "user-manager", permissions: ["users:admin", "analytics:read"])
            let manager = try await h.signedIn(tenant, roles: ["user-manager"])
            let target = try await h.createUser(tenant, email: "t-\(UUID().uuidString.prefix(6))@example.test", roles: [])
            // Granting a permission it lacks, or a role that carries one, is refused.
            let escalate = try await auth(h, manager, "POST", "/auth/admin/roles", json: ["name": "user-manager", "permission": "integrations:write"])
            #expect(escalate.status == 403)
            #expect(try await auth(h, manager, "POST", "/auth/admin/users/\(target)/roles", json: ["role": "admin"]).status == 403)
            #expect(try await auth(h, manager, "POST", "/auth/admin/users/\(manager.userID)/roles", json: ["role": "etl-admin"]).status == 403)
            #expect(try await auth(h, manager, "POST", "/auth/admin/users", json: ["email": "n@example.test", "password": "long enough!", "role": "admin"]).status == 403)
            // What it holds it may hand on.
            #expect(try await auth(h, manager, "POST", "/auth/admin/roles", json: ["name": "reader", "permission": "analytics:read"]).status == 201)
            #expect(try await auth(h, manager, "POST", "/auth/admin/users/\(target)/roles", json: ["role": "reader"]).status == 200)
            let roles = try await h.database.client(tenant.id).read { tx in
                try await tx.query("SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = $1", target)
                    .map { try $0.decode(String.self, at: 0) }
            }
            #expect(roles == ["reader"])
            // The built-in admin holds everything of its client and may give any built-in role.
            let admin = try await h.signedIn(tenant, roles: ["admin"])
            #expect(try await auth(h, admin, "POST", "/auth/admin/users/\(target)/roles", json: ["role": "etl-admin"]).status == 200)
        } catch { await h.shutdown(); throw error }
        await h.shutdown()
    }

    @Test func theLastActiveAdminCannotBeDisabledOrDemoted() async throws {
        let h = try await BackendHarness()
        do {
            let tenant = try await h.createClient()
            let admin = try await h.signedIn(tenant, roles: ["admin"])
            let selfDisable = try await auth(h, admin, "POST", "/auth/admin/users/\(admin.userID)/disable")
            #expect(selfDisable.status == 409, "\(selfDisable.bodyText)")
            #expect(try await auth(h, admin, "DELETE", "/auth/admin/users/\(admin.userID)/roles/admin", headers: [("Content-Length", "0")]).status == 409)
            // With a second admin, one of them may go, but not both.
            let second = try await h.signedIn(tenant, roles: ["admin"])
            #expect(try await auth(h, admin, "POST", "/auth/admin/users/\(second.userID)/disable").status == 204)
            #expect(try await auth(h, admin, "POST", "/auth/admin/users/\(admin.userID)/disable").status == 409)
            let third = try await h.createUser(tenant, email: "third-\(UUID().uuidString.prefix(6))@example.test", roles: ["admin"])
            #expect(try await auth(h, admin, "DELETE", "/auth/admin/users/\(third)/roles/admin", headers: [("Content-Length", "0")]).status == 204)
            #expect(try await auth(h, admin, "DELETE", "/auth/admin/users/\(third)/roles/admin", headers: [("Content-Length", "0")]).status == 404)
            let active = try await h.database.client(tenant.id).read { tx in
                try await tx.query("SELECT active FROM users WHERE id = $1", admin.userID)[0].decode(Bool.self, at: 0)
            }
            #expect(active)
        } catch { await h.shutdown(); throw error }
        await h.shutdown()
    }

    @Test func forwardedAddressesAreBelievedOnlyFromConfiguredProxies() async throws {
        let proxies: Set<String> = ["10.0.0.5"]
        let spoofed: HTTPHeaders = ["X-Forwarded-For": "203.0.113.7"]
        // Not from a proxy: the header is ignored, so a client cannot pick its own counter.
        #expect(ForwardedAddress.client(peer: "198.51.100.1", headers: spoofed, trustedProxies: proxies) == "198.51.100.1")
        #expect(ForwardedAddress.client(peer: "10.0.0.5", headers: spoofed, trustedProxies: []) == "10.0.0.5")
        // From the proxy: the right-most address the proxy appended, not what the client prepended.
        #expect(ForwardedAddress.client(peer: "10.0.0.5", headers: ["X-Forwarded-For": "1.2.3.4, 203.0.113.7"], trustedProxies: proxies) == "203.0.113.7")
        #expect(ForwardedAddress.client(peer: "10.0.0.5", headers: ["Forwarded": #"for="[2001:db8::1]:4711";proto=https"#], trustedProxies: proxies) == "2001:db8::1")
        #expect(ForwardedAddress.client(peer: "10.0.0.5", headers: [:], trustedProxies: proxies) == "10.0.0.5")
        let configured = try AuthConfiguration.fromEnvironment(
            ["AUTH_KEY_ENCRYPTION_KEY": BackendHarness.keyEncryptionKey, "AUTH_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.5"], defaultIssuer: "http://x")
        #expect(configured.trustedProxies == ["127.0.0.1", "10.0.0.5"])

        // Live: through a trusted proxy (127.0.0.1 here) failed sign-ins count per forwarded
        // address, so one attacker behind the gateway does not lock everyone else out.
        let h = try await BackendHarness {
            $0.trustedProxies = ["127.0.0.1"]
            // Lock an address after 3 failures, so the test needs few attempts.
            $0.throttle = LoginThrottle(addressLimits: ThrottleLimits(freeFailures: 10, baseDelay: 1, maximumDelay: 60, lockoutThreshold: 3,
                                                                      lockoutDuration: 900, window: 900))
        }
        do {
            let tenant = try await h.createClient()
            let victim = try await h.signedIn(tenant, roles: ["viewer"])
            func attempt(from address: String, password: String) async throws -> Int {
                let body = try JSONSerialization.data(withJSONObject: ["client": tenant.slug, "email": victim.email, "password": password])
                return try await HTTPTestClient(port: h.authPort).request("POST", "/auth/login", headers: [
                    ("Content-Type", "application/json"), ("X-Forwarded-For", address),
                ], body: Array(body)).status
            }
            let events = try await h.database.client(tenant.id).read { tx in
                try await tx.query("SELECT count(*) FROM auth_audit_events")[0].decode(Int.self, at: 0)
            }
            _ = try await attempt(from: "203.0.113.9", password: "wrong password")
            let address = try await h.database.client(tenant.id).read { tx in
                try await tx.query("SELECT ip_address FROM auth_audit_events ORDER BY id DESC LIMIT 1")[0].decode(String?.self, at: 0)
            }
            #expect(address == "203.0.113.9")
            #expect(events >= 1)
            // The attacker's forwarded address gets locked (spraying other accounts) ...
            for index in 0..<3 {
                let body = try JSONSerialization.data(withJSONObject: ["client": tenant.slug, "email": "ghost\(index)@example.test", "password": "nope nope"])
                _ = try await HTTPTestClient(port: h.authPort).request("POST", "/auth/login", headers: [
                    ("Content-Type", "application/json"), ("X-Forwarded-For", "203.0.113.9"),
                ], body: Array(body))
            }
            #expect(try await attempt(from: "203.0.113.9", password: BackendHarness.password) == 429)
            // ... while the victim behind the same proxy, from its own address, still signs in.
            #expect(try await attempt(from: "198.51.100.20", password: BackendHarness.password) == 200)
        } catch { await h.shutdown(); throw error }
        await h.shutdown()
    }
}
}
