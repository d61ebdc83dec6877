import Foundation
import PulseAuth
import PulsePostgres
import PulseSecurity
import PulseTestSupport
import Testing

@Suite("Auth service: service accounts, introspection, revocation, tenants, keys")
struct ServiceAccountAndTenantTests {
    static func basic(_ id: String, _ secret: String) -> (String, String) {
        ("Authorization", "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString())
    }

    @Test func clientCredentialsIntrospectionAndRevocation() async throws {
        let h = try await AuthHarness()
        let a = try await h.createClient(), b = try await h.createClient()
        try await h.grant(clientID: a.id, role: "integrator", permission: "deployments:write")
        let account = try await h.service.createServiceAccount(clientID: a.id, name: "ci", role: "integrator")
        let other = try await h.service.createServiceAccount(clientID: b.id, name: "ci", role: nil)

        let issued = try await h.postForm("/auth/token", [("grant_type", "client_credentials")], headers: [Self.basic(account.key, account.secret)])
        #expect(issued.status == 200 && issued.string("refresh_token") == nil)
        let token = try #require(issued.string("access_token"))
        let identity = try await h.service.verifier.verify(token)
        #expect(identity.kind == .serviceAccount && identity.permissions == ["deployments:write"] && identity.sessionID == nil)

        let viaPost = try await h.postForm("/auth/token", [("grant_type", "client_credentials"), ("client_id", account.key),
                                                          ("client_secret", account.secret)])
        #expect(viaPost.status == 200)
        let wrong = try await h.postForm("/auth/token", [("grant_type", "client_credentials")], headers: [Self.basic(account.key, "nope")])
        #expect(wrong.status == 401 && wrong.string("error") == "invalid_client")
        let unknown = try await h.postForm("/auth/token", [("grant_type", "client_credentials")], headers: [Self.basic("sa_unknown", "nope")])
        #expect(unknown.status == 401 && unknown.body == wrong.body)
        // The wrong secret for a known key is audited in that account's tenant.
        #expect(try await h.auditEvents(clientID: a.id).filter { $0 == "client_credentials_failed" }.count == 1)

        // RFC 7662: the caller's own tenant only.
        let own = try await h.postForm("/auth/introspect", [("token", token)], headers: [Self.basic(account.key, account.secret)])
        #expect(own.status == 200 && own.json["active"] as? Bool == true && own.string("principal") == "service_account")
        let foreign = try await h.postForm("/auth/introspect", [("token", token)], headers: [Self.basic(other.key, other.secret)])
        #expect(foreign.status == 200 && foreign.json["active"] as? Bool == false && foreign.json.count == 1)
        let garbage = try await h.postForm("/auth/introspect", [("token", "x.y.z")], headers: [Self.basic(account.key, account.secret)])
        #expect(garbage.json["active"] as? Bool == false)
        #expect(try await h.postForm("/auth/introspect", [("token", token)]).status == 401)

        // RFC 7009: revoking the service-account token makes it inactive; unknown tokens are fine.
        #expect(try await h.postForm("/auth/revoke", [("token", token)]).status == 200)
        #expect(try await h.postForm("/auth/revoke", [("token", "never-issued")]).status == 200)
        let after = try await h.postForm("/auth/introspect", [("token", token)], headers: [Self.basic(account.key, account.secret)])
        #expect(after.json["active"] as? Bool == false)
        await h.shutdown()
    }

    @Test func revokingARefreshTokenEndsItsSession() async throws {
        let h = try await AuthHarness()
        let client = try await h.createClient()
        try await h.createUser(clientID: client.id, email: "r@example.com", password: "pw")
        let sa = try await h.service.createServiceAccount(clientID: client.id, name: "introspector", role: nil)
        let login = try await h.login(slug: client.slug, email: "r@example.com", password: "pw")
        let refresh = try #require(login.string("refresh_token")), access = try #require(login.string("access_token"))
        let before = try await h.postForm("/auth/introspect", [("token", refresh), ("token_type_hint", "refresh_token")],
                                          headers: [Self.basic(sa.key, sa.secret)])
        #expect(before.json["active"] as? Bool == true && before.string("token_type") == "refresh_token")

        #expect(try await h.postForm("/auth/revoke", [("token", refresh), ("token_type_hint", "refresh_token")]).status == 200)
        let refreshed = try await h.postForm("/auth/token", [("grant_type", "refresh_token"), ("refresh_token", refresh)])
        #expect(refreshed.status == 400 && refreshed.string("error") == "invalid_grant")
        #expect(try await h.request("GET", "/auth/me", headers: [("Authorization", "Bearer \(access)")]).status == 401)
        await h.shutdown()
    }

    @Test func tokenOfClientAGets404ForClientBsUsers() async throws {
        let h = try await AuthHarness()
        let a = try await h.createClient(), b = try await h.createClient()
        try await h.grant(clientID: a.id, role: "admin", permission: "users:read")
        let adminA = try await h.createUser(clientID: a.id, email: "admin@a.example", password: "pw", roles: ["admin"])
        try await h.createUser(clientID: a.id, email: "plain@a.example", password: "pw")
        let userB = try await h.createUser(clientID: b.id, email: "user@b.example", password: "pw")
        let token = try #require(try await h.login(slug: a.slug, email: "admin@a.example", password: "pw").string("access_token"))
        let auth = [("Authorization", "Bearer \(token)")]

        let own = try await h.request("GET", "/auth/users/\(adminA)", headers: auth)
        #expect(own.status == 200 && own.string("email") == "admin@a.example")
        let foreign = try await h.request("GET", "/auth/users/\(userB)", headers: auth)
        #expect(foreign.status == 404 && !foreign.bodyText.contains("user@b.example"))
        #expect(try await h.request("GET", "/auth/users/999999999", headers: auth).status == 404)
        #expect(try await h.request("GET", "/auth/users/abc", headers: auth).status == 404)
        // The same tenant's user without the permission gets 403.
        let plain = try #require(try await h.login(slug: a.slug, email: "plain@a.example", password: "pw").string("access_token"))
        #expect(try await h.request("GET", "/auth/users/\(adminA)", headers: [("Authorization", "Bearer \(plain)")]).status == 403)
        // A user of B signs in only through B's slug.
        #expect(try await h.login(slug: a.slug, email: "user@b.example", password: "pw").status == 401)
        await h.shutdown()
    }

    @Test func revocationReachesAnotherVerifierWithinOneSecond() async throws {
        let h = try await AuthHarness()
        let client = try await h.createClient()
        try await h.createUser(clientID: client.id, email: "s@example.com", password: "pw")
        // A second "service process": its own verifier fed by the JWKS and LISTEN/NOTIFY only.
        let other = TokenVerifier(
            configuration: TokenVerifierConfiguration(policy: try ClaimsPolicy(issuer: "http://auth.test", audience: "pulse")),
            keySource: InMemoryJWKSSource(h.service.jwks()), clock: h.clock)
        let subscription = try await RevocationSubscriber.start(conninfo: h.cluster.connection.primaryURL, verifier: other)
        defer { subscription.cancel() }
        // Wait until the listener is subscribed: a probe revocation must arrive.
        let probe = RevocationEvent.session(id: "probe-\(UUID())", until: Date().addingTimeInterval(600))
        for _ in 0..<100 where other.revocationCount == 0 {
            try await h.database.write { tx in try await tx.query("SELECT pg_notify($1, $2)", RevocationChannel.name, probe.payload) }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(other.revocationCount > 0)

        let access = try #require(try await h.login(slug: client.slug, email: "s@example.com", password: "pw").string("access_token"))
        #expect(try await other.verify(access).clientID == String(client.id))
        #expect(try await h.request("POST", "/auth/logout", headers: [("Authorization", "Bearer \(access)")]).status == 204)
        let start = ContinuousClock.now
        var rejected = false
        while ContinuousClock.now - start < .seconds(1) {
            do { _ = try await other.verify(access) } catch { rejected = error.code == .revoked; if rejected { break } }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(rejected)
        await h.shutdown()
    }

    @Test func aVerifierStartedLaterLoadsEarlierRevocations() async throws {
        let h = try await AuthHarness()
        let client = try await h.createClient()
        try await h.createUser(clientID: client.id, email: "late@example.com", password: "pw")
        let access = try #require(try await h.login(slug: client.slug, email: "late@example.com", password: "pw").string("access_token"))
        let sa = try await h.service.createServiceAccount(clientID: client.id, name: "late", role: nil)
        let saToken = try await h.service.clientCredentials(key: sa.key, secret: sa.secret, origin: RequestOrigin(address: "127.0.0.1")).accessToken
        #expect(try await h.request("POST", "/auth/logout", headers: [("Authorization", "Bearer \(access)")]).status == 204)
        try await h.database.client(client.id).write { tx in
            try await tx.query("UPDATE service_accounts SET active = false, disabled_at = now() WHERE account_key = $1", sa.key)
        }
        // This process never saw the NOTIFYs: the start-up snapshot must carry both revocations.
        let late = TokenVerifier(
            configuration: TokenVerifierConfiguration(policy: try ClaimsPolicy(issuer: "http://auth.test", audience: "pulse")),
            keySource: InMemoryJWKSSource(h.service.jwks()), clock: h.clock)
        let subscription = try await RevocationSubscriber.start(conninfo: h.cluster.connection.primaryURL, verifier: late, database: h.database,
                                                                accessTokenLifetime: 900)
        defer { subscription.cancel() }
        await #expect(throws: SecurityError.self) { _ = try await late.verify(access) }
        await #expect(throws: SecurityError.self) { _ = try await late.verify(saToken) }
        await h.shutdown()
    }

    @Test func discoveryJWKSAndKeysAtRest() async throws {
        let h = try await AuthHarness()
        let jwks = try await h.request("GET", "/.well-known/jwks.json")
        #expect(jwks.status == 200)
        let keys = try #require(jwks.json["keys"] as? [[String: Any]])
        #expect(!keys.isEmpty && keys.allSatisfy { $0["kid"] is String && $0["d"] == nil && ["RS256", "EdDSA"].contains($0["alg"] as? String) })
        let discovery = try await h.request("GET", "/.well-known/openid-configuration")
        #expect(discovery.string("issuer") == "http://auth.test" && discovery.string("jwks_uri") == "http://auth.test/.well-known/jwks.json")
        let openAPI = try await h.request("GET", "/openapi.json")
        #expect(openAPI.bodyText.contains("/auth/token") && openAPI.bodyText.contains("/auth/introspect"))

        // Private keys are sealed: the stored text is v1.<AES-GCM>, and another key cannot open it.
        let stored = try await h.database.read { tx in
            try await tx.query("SELECT private_key_encrypted FROM signing_keys").map { String(decoding: try $0.decode(Data.self, at: 0), as: UTF8.self) }
        }
        #expect(!stored.isEmpty && stored.allSatisfy { $0.hasPrefix("v1.") })
        var wrongKey = try AuthHarness.configuration()
        wrongKey.keyEncryptionKey = AESGCMKey.generate()
        await #expect(throws: SecurityError.self) {
            _ = try await AuthService.start(configuration: wrongKey, database: h.database)
        }

        // Rotation: the new key signs, tokens of the old key still verify.
        let client = try await h.createClient()
        try await h.createUser(clientID: client.id, email: "k@example.com", password: "pw")
        let before = try #require(try await h.login(slug: client.slug, email: "k@example.com", password: "pw").string("access_token"))
        try await h.service.rotateSigningKey()
        let after = try #require(try await h.login(slug: client.slug, email: "k@example.com", password: "pw").string("access_token"))
        #expect(try await h.service.verifier.verify(before).clientID == String(client.id))
        #expect(try await h.service.verifier.verify(after).clientID == String(client.id))
        #expect(before.split(separator: ".")[0] != after.split(separator: ".")[0])
        #expect(try JWT.parse(after).header.alg == "RS256")

        // Switching auth.signing_algorithm is a rotation at start: an EdDSA token of the old
        // configuration still verifies in a service started with RS256.
        var edConfiguration = try AuthHarness.configuration()
        edConfiguration.signingAlgorithm = .edDSA
        let edService = try await AuthService.start(configuration: edConfiguration, database: h.database)
        let edToken = try await edService.signIn(clientSlug: client.slug, email: "k@example.com", password: "pw",
                                                 origin: RequestOrigin(address: "127.0.0.1"), withCookie: false).accessToken
        #expect(try JWT.parse(edToken).header.alg == "EdDSA")
        let rsService = try await AuthService.start(configuration: try AuthHarness.configuration(), database: h.database)
        #expect(try await rsService.verifier.verify(edToken).clientID == String(client.id))
        #expect(Set(rsService.jwks().keys.compactMap(\.alg)) == ["RS256", "EdDSA"])

        // Stored password hashes carry their algorithm and parameters.
        let hash = try await h.database.client(client.id).read { tx in
            try await tx.query("SELECT password_hash FROM users").first?.decode(String.self, at: 0)
        }
        #expect(hash?.hasPrefix("$pbkdf2-sha256$i=1000$") == true)
        await h.shutdown()
    }
}
