import Foundation
import PulseAuth
import PulseSecurity
import PulseTestSupport
import Testing

/// OIDC sign-in end to end: the auth service (real HTTP, real PostgreSQL) against a local
/// OIDC provider server, through Pulse's HTTP client, with the browser played by the test.
@Suite("Auth service: OIDC login (code + PKCE against a local provider)", .serialized)
struct OIDCLoginTests {
    struct Setup {
        let h: AuthHarness
        let provider: FakeOIDCProvider
        let client: (id: Int, slug: String)

        func shutdown() async {
            await provider.shutdown()
            await h.shutdown()
        }
    }

    static func setUp(method: OIDCProviderSettings.ClientAuthentication = .clientSecretBasic,
                      configure: (inout OIDCProviderSettings) -> Void = { _ in }) async throws -> Setup {
        let h = try await AuthHarness()
        let provider = try FakeOIDCProvider.start()
        let client = try await h.createClient()
        var settings = OIDCProviderSettings(issuer: provider.issuer, clientID: FakeOIDCProvider.clientID,
                                            clientSecret: FakeOIDCProvider.clientSecret,
                                            redirectURI: "http://127.0.0.1:\(h.port)/auth/oidc/callback")
        settings.clientAuthentication = method
        settings.defaultRole = "viewer"
        configure(&settings)
        try await h.service.configureOIDC(clientID: client.id, settings, origin: RequestOrigin(address: "127.0.0.1"))
        return Setup(h: h, provider: provider, client: client)
    }

    /// The browser's part: start, follow the provider's redirect, land on the callback.
    struct Round {
        var browserCookie: String
        var callbackTarget: String
    }

    static func startLogin(_ s: Setup) async throws -> Round {
        let start = try await s.h.request("GET", "/auth/oidc/\(s.client.slug)/login")
        #expect(start.status == 302)
        let setCookie = try #require(start.header("Set-Cookie"))
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax") && setCookie.contains("Path=/auth/oidc"))
        let browser = String(try #require(setCookie.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last))
        let location = try #require(start.header("Location").flatMap(URLComponents.init(string:)))
        let query = Dictionary((location.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        #expect(query["code_challenge_method"] == "S256" && query["code_challenge"]?.count == 43)
        #expect(query["state"]?.count == 43 && query["nonce"]?.count == 43 && query["client_id"] == FakeOIDCProvider.clientID)
        let atProvider = try await HTTPTestClient(port: s.provider.port).request("GET", location.percentEncodedPath + "?" + (location.percentEncodedQuery ?? ""))
        #expect(atProvider.status == 302)
        let back = try #require(atProvider.header("Location").flatMap(URLComponents.init(string:)))
        return Round(browserCookie: browser, callbackTarget: back.percentEncodedPath + "?" + (back.percentEncodedQuery ?? ""))
    }

    static func callback(_ s: Setup, _ round: Round) async throws -> TestHTTPResponse {
        try await s.h.request("GET", round.callbackTarget, headers: [("Cookie", "pulse_oidc=\(round.browserCookie)")])
    }

    static func failures(_ s: Setup) async throws -> [String] {
        try await s.h.database.client(s.client.id).read { tx in
            try await tx.query("SELECT details->>'reason' FROM auth_audit_events WHERE event_type = 'oidc_login_failed' ORDER BY id")
                .map { try $0.decode(String.self, at: 0) }
        }
    }

    @Test(arguments: [OIDCProviderSettings.ClientAuthentication.clientSecretBasic, .clientSecretPost])
    func codeFlowWithPKCEProvisionsTheUserAndStartsASession(method: OIDCProviderSettings.ClientAuthentication) async throws {
        let s = try await Self.setUp(method: method)
        let response = try await Self.callback(s, try await Self.startLogin(s))
        #expect(response.status == 200, "\(response.bodyText)")
        let access = try #require(response.string("access_token"))
        #expect(response.string("refresh_token") != nil && response.string("csrf_token") != nil)
        let cookies = response.headers.values(for: "Set-Cookie")
        #expect(cookies.contains { $0.hasPrefix("pulse_session=\(s.client.id).") && $0.contains("HttpOnly") && $0.contains("SameSite=Strict") })
        #expect(cookies.contains { $0.hasPrefix("pulse_oidc=;") && $0.contains("Max-Age=0") })

        // Provisioned just in time into this client, with the default role, linked by (issuer, subject).
        let identity = try await s.h.service.verifier.verify(access)
        #expect(identity.clientID == String(s.client.id) && identity.roles == ["viewer"])
        let me = try await s.h.request("GET", "/auth/me", headers: [("Authorization", "Bearer \(access)")])
        #expect(me.string("email") == "new.person@corp.example")
        #expect(s.provider.state.withLock { $0.clientAuthentications } == [method.rawValue])

        // A second sign-in finds the same user through the link.
        let again = try await Self.callback(s, try await Self.startLogin(s))
        #expect(try await s.h.service.verifier.verify(try #require(again.string("access_token"))).subject == identity.subject)
        let events = try await s.h.auditEvents(clientID: s.client.id)
        #expect(events.filter { $0 == "oidc_login_started" }.count == 2 && events.filter { $0 == "oidc_user_provisioned" }.count == 1)
        #expect(events.filter { $0 == "login_ok" }.count == 2)
        await s.shutdown()
    }

    @Test(arguments: [
        (FakeOIDCProvider.Misbehaviour.badSignature, "bad_signature"), (.wrongIssuer, "wrong_issuer"), (.wrongAudience, "wrong_audience"),
        (.expired, "id_token_expired"), (.badNonce, "nonce_mismatch"), (.corruptChallenge, "token_exchange_failed"),
    ])
    func brokenIDTokensAndPKCEMismatchAreRefusedGenericallyAndAudited(misbehaviour: FakeOIDCProvider.Misbehaviour, reason: String) async throws {
        let s = try await Self.setUp()
        s.provider.set { $0.misbehaviour = misbehaviour }
        let response = try await Self.callback(s, try await Self.startLogin(s))
        #expect(response.status == 400)
        #expect(response.bodyText.contains("single sign-on could not be completed") && !response.bodyText.contains(reason))
        #expect(try await Self.failures(s) == [reason])
        if misbehaviour == .corruptChallenge { #expect(s.provider.state.withLock { $0.pkceRejections } == 1) }
        let users = try await s.h.database.client(s.client.id).read { tx in try await tx.query("SELECT id FROM users").count }
        #expect(users == 0)
        await s.shutdown()
    }

    @Test func badStateReplayedStateAndForeignBrowserAreRefusedAndAudited() async throws {
        let s = try await Self.setUp()
        // A state that is not the one we sent (the provider's answer to another request).
        var round = try await Self.startLogin(s)
        let tampered = Round(browserCookie: round.browserCookie,
                             callbackTarget: round.callbackTarget.replacingOccurrences(of: "state=", with: "state=x"))
        #expect(try await Self.callback(s, tampered).status == 400)
        // The pending login was consumed by that attempt: the genuine answer now counts as a replay.
        #expect(try await Self.callback(s, round).status == 400)

        // A successful callback replayed with the same cookie and URL.
        round = try await Self.startLogin(s)
        #expect(try await Self.callback(s, round).status == 200)
        #expect(try await Self.callback(s, round).status == 400)

        // Another browser (no cookie, or a cookie of its own) cannot finish someone else's login.
        let victim = try await Self.startLogin(s)
        let noCookie = try await s.h.request("GET", victim.callbackTarget)
        #expect(noCookie.status == 400)
        let attacker = try await Self.startLogin(s)
        #expect(try await Self.callback(s, Round(browserCookie: attacker.browserCookie, callbackTarget: victim.callbackTarget)).status == 400)
        #expect(try await Self.failures(s) == ["state_mismatch", "state_replayed", "state_replayed", "state_mismatch"])

        // Garbage never reaches a 500: no query, an oversized or unknown cookie, repeated parameters.
        #expect(try await s.h.request("GET", "/auth/oidc/callback").status == 400)
        let huge = String(repeating: "A", count: 4000)
        #expect(try await s.h.request("GET", "/auth/oidc/callback?code=x&state=y", headers: [("Cookie", "pulse_oidc=\(huge)")]).status == 400)
        #expect(try await s.h.request("GET", "/auth/oidc/callback?code=%00&state=%FF", headers: [("Cookie", "pulse_oidc=unknown")]).status == 400)
        let doubled = try await Self.startLogin(s)
        let repeated = Round(browserCookie: doubled.browserCookie, callbackTarget: doubled.callbackTarget + "&state=other")
        #expect(try await Self.callback(s, repeated).status == 400)
        #expect(try await Self.failures(s).last == "state_mismatch")
        await s.shutdown()
    }

    @Test func existingLocalAccountIsNotTakenOverByEmail() async throws {
        let s = try await Self.setUp { $0.allowedEmailDomains = ["corp.example"] }
        try await s.h.createUser(clientID: s.client.id, email: "new.person@corp.example", password: "local password")
        #expect(try await Self.callback(s, try await Self.startLogin(s)).status == 400)
        s.provider.set { $0.email = "someone@elsewhere.example"; $0.subject = "00u-other" }
        #expect(try await Self.callback(s, try await Self.startLogin(s)).status == 400)
        #expect(try await Self.failures(s) == ["local_account_exists", "email_domain_not_allowed"])

        // With linking enabled and a verified email, the first sign-in links the local account.
        var settings = try #require(try await s.h.service.oidcProvider(clientID: s.client.id))
        settings.linkVerifiedEmail = true
        try await s.h.service.configureOIDC(clientID: s.client.id, settings, origin: RequestOrigin(address: "127.0.0.1"))
        s.provider.set { $0.email = "new.person@corp.example"; $0.subject = "00u-okta-1"; $0.emailVerified = false }
        #expect(try await Self.callback(s, try await Self.startLogin(s)).status == 400)
        s.provider.set { $0.emailVerified = true }
        #expect(try await Self.callback(s, try await Self.startLogin(s)).status == 200)
        #expect(try await s.h.auditEvents(clientID: s.client.id).contains("oidc_identity_linked"))
        await s.shutdown()
    }

    @Test func adminSetsProviderAndNeverSeesTheSecret() async throws {
        let h = try await AuthHarness()
        let client = try await h.createClient()
        try await h.grant(clientID: client.id, role: "owner", permission: "sso:admin")
        try await h.createUser(clientID: client.id, email: "admin@corp.example", password: "admin password", roles: ["owner"])
        let token = try #require(try await h.login(slug: client.slug, email: "admin@corp.example", password: "admin password").string("access_token"))
        let auth = [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")]
        func put(_ fields: [String: String]) async throws -> TestHTTPResponse {
            try await h.request("PUT", "/auth/admin/oidc", headers: auth, body: Array(try JSONSerialization.data(withJSONObject: fields)))
        }
        #expect(try await h.request("GET", "/auth/admin/oidc", headers: auth).status == 404)
        let fields = ["issuer": "https://corp.okta.example", "client_id": "0oa123", "client_secret": "very-secret-value",
                      "redirect_uri": "https://pulse.example/auth/oidc/callback", "default_role": "viewer",
                      "allowed_email_domains": "Corp.example, corp.co.uk", "token_endpoint_auth_method": "client_secret_post"]
        let created = try await put(fields)
        #expect(created.status == 200 && !created.bodyText.contains("very-secret-value"))
        let shown = try await h.request("GET", "/auth/admin/oidc", headers: auth)
        #expect(shown.status == 200 && !shown.bodyText.contains("very-secret-value") && shown.json["has_client_secret"] as? Bool == true)
        #expect(shown.json["allowed_email_domains"] as? [String] == ["corp.example", "corp.co.uk"])
        // Updating without the secret keeps it; the row holds it sealed only.
        #expect(try await put(fields.filter { $0.key != "client_secret" }.merging(["default_role": "analyst"]) { $1 }).status == 200)
        #expect(try await h.service.oidcProvider(clientID: client.id)?.clientSecret == "very-secret-value")
        let stored = try await h.database.client(client.id).read { tx in
            try await tx.query("SELECT client_secret_encrypted FROM oidc_providers")[0].decode(String.self, at: 0)
        }
        #expect(stored.hasPrefix("v1.") && !stored.contains("very-secret"))
        // Bad input is a clear 400; no permission is 403; an unconfigured client has no SSO.
        #expect(try await put(fields.merging(["issuer": "http://corp.okta.example"]) { $1 }).status == 400)
        #expect(try await put(fields.merging(["token_endpoint_auth_method": "private_key_jwt"]) { $1 }).status == 400)
        #expect(try await put(fields.filter { $0.key != "redirect_uri" }).status == 400)
        let other = try await h.createClient()
        #expect(try await h.request("GET", "/auth/oidc/\(other.slug)/login").status == 404)
        #expect(try await h.request("GET", "/auth/oidc/no-such-client/login").status == 404)
        try await h.createUser(clientID: client.id, email: "plain@corp.example", password: "plain password")
        let plain = try #require(try await h.login(slug: client.slug, email: "plain@corp.example", password: "plain password").string("access_token"))
        #expect(try await h.request("GET", "/auth/admin/oidc", headers: [("Authorization", "Bearer \(plain)")]).status == 403)
        await h.shutdown()
    }
}
