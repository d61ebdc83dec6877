import Foundation
import PulseAuth
import PulseSecurity
import PulseTestSupport
import Testing

@Suite("Auth service: sign-in, tokens, sessions (live HTTP + PostgreSQL)")
struct LoginAndTokenTests {
    @Test func loginIssuesTokensCookieAndMeWorksWithBoth() async throws {
        let h = try await AuthHarness()
        let client = try await h.createClient()
        try await h.grant(clientID: client.id, role: "analyst", permission: "dora:read")
        let userID = try await h.createUser(clientID: client.id, email: "ada@example.com", password: "correct horse", roles: ["analyst"])

        let response = try await h.login(slug: client.slug, email: "Ada@Example.com", password: "correct horse")
        #expect(response.status == 200)
        let access = try #require(response.string("access_token"))
        #expect(response.string("token_type") == "Bearer")
        #expect(response.string("refresh_token")?.count == 43)
        #expect(response.header("Cache-Control") == "no-store")
        let cookie = try #require(response.header("Set-Cookie"))
        #expect(cookie.hasPrefix("pulse_session=\(client.id)."))
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"))
        #expect(!cookie.contains("Secure"))

        let identity = try await h.service.verifier.verify(access)
        #expect(identity.subject == String(userID) && identity.clientID == String(client.id))
        #expect(identity.roles == ["analyst"] && identity.permissions == ["dora:read"])
        #expect(identity.sessionID != nil)

        let me = try await h.request("GET", "/auth/me", headers: [("Authorization", "Bearer \(access)")])
        #expect(me.status == 200)
        #expect(me.string("email") == "ada@example.com")
        let cookieValue = String(cookie.split(separator: ";")[0])
        let meByCookie = try await h.request("GET", "/auth/me", headers: [("Cookie", "theme=dark; \(cookieValue)")])
        #expect(meByCookie.status == 200)
        #expect(meByCookie.string("session_id") == identity.sessionID)

        // Behind the gateway on TLS the cookie is Secure.
        let overTLS = try await h.login(slug: client.slug, email: "ada@example.com", password: "correct horse",
                                        headers: [("X-Forwarded-Proto", "https")])
        #expect(overTLS.header("Set-Cookie")?.contains("; Secure") == true)

        // Logout by cookie ends the session: the cookie and the session's access token stop working.
        // Cookie-authenticated writes need the session's CSRF token.
        let csrf = try #require(response.string("csrf_token"))
        #expect(try await h.request("POST", "/auth/logout", headers: [("Cookie", cookieValue)]).status == 403)
        #expect(try await h.request("POST", "/auth/logout", headers: [("Cookie", cookieValue), ("X-CSRF-Token", "x.y")]).status == 403)
        let otherSession = try #require(overTLS.string("csrf_token"))
        #expect(try await h.request("POST", "/auth/logout", headers: [("Cookie", cookieValue), ("X-CSRF-Token", otherSession)]).status == 403)
        #expect(meByCookie.string("csrf_token") != nil)
        let logout = try await h.request("POST", "/auth/logout", headers: [("Cookie", cookieValue), ("X-CSRF-Token", csrf)])
        #expect(logout.status == 204)
        #expect(logout.header("Set-Cookie")?.contains("Max-Age=0") == true)
        #expect(try await h.request("GET", "/auth/me", headers: [("Cookie", cookieValue)]).status == 401)
        #expect(try await h.request("GET", "/auth/me", headers: [("Authorization", "Bearer \(access)")]).status == 401)

        let events = try await h.auditEvents(clientID: client.id)
        #expect(events.filter { $0 == "login_ok" }.count == 2 && events.contains("logout"))
        await h.shutdown()
    }

    @Test func failuresNeverRevealWhetherAnAccountExists() async throws {
        let h = try await AuthHarness()
        let client = try await h.createClient()
        try await h.createUser(clientID: client.id, email: "bob@example.com", password: "right")
        let wrongPassword = try await h.login(slug: client.slug, email: "bob@example.com", password: "wrong")
        let unknownUser = try await h.login(slug: client.slug, email: "nobody@example.com", password: "wrong")
        let unknownClient = try await h.login(slug: "no-such-client", email: "bob@example.com", password: "right")
        for response in [wrongPassword, unknownUser, unknownClient] {
            #expect(response.status == 401)
            #expect(response.header("Content-Type") == "application/problem+json")
            #expect(response.string("detail") == wrongPassword.string("detail"))
        }
        let viaToken = try await h.postForm("/auth/token", [("grant_type", "password"), ("client", client.slug),
                                                             ("username", "nobody@example.com"), ("password", "x")])
        #expect(viaToken.status == 401 && viaToken.string("error") == "invalid_grant")
        #expect(try await h.auditEvents(clientID: client.id).filter { $0 == "login_failed" }.count == 3)
        await h.shutdown()
    }

    @Test func badInputGetsAClear4xx() async throws {
        let h = try await AuthHarness()
        let client = try await h.createClient()
        try await h.createUser(clientID: client.id, email: "jürgen@bücher.example", password: "pässwörd")
        let json = [("Content-Type", "application/json")]

        let malformed = try await h.request("POST", "/auth/login", headers: json, body: Array("{\"email\":".utf8))
        #expect(malformed.status == 400 && malformed.string("detail") == "request body is not valid JSON")
        let notObject = try await h.request("POST", "/auth/token", headers: json, body: Array("[1,2]".utf8))
        #expect(notObject.status == 400 && notObject.string("error") == "invalid_request")
        let wrongType = try await h.request("POST", "/auth/login", headers: json, body: Array(#"{"client":1}"#.utf8))
        #expect(wrongType.status == 400)
        let missing = try await h.postJSON("/auth/login", ["client": client.slug, "email": "a@b.c"])
        #expect(missing.status == 400 && missing.string("detail") == "missing parameter: password")
        let oversized = try await h.request("POST", "/auth/login", headers: json, body: Array(repeating: UInt8(ascii: " "), count: 20_000))
        #expect(oversized.status == 413)
        let mediaType = try await h.request("POST", "/auth/token", headers: [("Content-Type", "text/plain")], body: Array("x".utf8))
        #expect(mediaType.status == 415)
        let unknownGrant = try await h.postForm("/auth/token", [("grant_type", "urn:ietf:params:oauth:grant-type:device_code")])
        #expect(unknownGrant.status == 400 && unknownGrant.string("error") == "unsupported_grant_type")
        let duplicate = try await h.request("POST", "/auth/token", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                            body: Array("grant_type=password&grant_type=refresh_token".utf8))
        #expect(duplicate.status == 400 && duplicate.string("error") == "invalid_request")
        let badRefresh = try await h.postForm("/auth/token", [("grant_type", "refresh_token"), ("refresh_token", "not-a-token")])
        #expect(badRefresh.status == 400 && badRefresh.string("error") == "invalid_grant")

        let login = try await h.login(slug: client.slug, email: " JÜRGEN@BÜCHER.example", password: "pässwörd")
        #expect(login.status == 200)
        let access = try #require(login.string("access_token"))
        for token in [String(access.dropLast(10)), String(access.prefix(20)), "a.b", "", access + "x", "Basic abc"] {
            let me = try await h.request("GET", "/auth/me", headers: [("Authorization", "Bearer \(token)")])
            #expect(me.status == 401, "token \(token.prefix(12))")
            #expect(me.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
        }
        #expect(try await h.request("GET", "/auth/me").status == 401)
        await h.shutdown()
    }

    @Test func refreshRotatesAndReuseRevokesTheFamily() async throws {
        let h = try await AuthHarness()
        let client = try await h.createClient()
        try await h.createUser(clientID: client.id, email: "eve@example.com", password: "pw")
        let login = try await h.login(slug: client.slug, email: "eve@example.com", password: "pw")
        let first = try #require(login.string("refresh_token"))

        let rotated = try await h.postForm("/auth/token", [("grant_type", "refresh_token"), ("refresh_token", first)])
        #expect(rotated.status == 200)
        let second = try #require(rotated.string("refresh_token"))
        let secondAccess = try #require(rotated.string("access_token"))
        #expect(second != first)
        #expect(rotated.string("session_id") == login.string("session_id"))
        #expect(try await h.request("GET", "/auth/me", headers: [("Authorization", "Bearer \(secondAccess)")]).status == 200)

        // The spent token comes back (a thief's copy): the whole family and session die.
        let reuse = try await h.postForm("/auth/token", [("grant_type", "refresh_token"), ("refresh_token", first)])
        #expect(reuse.status == 400 && reuse.string("error") == "invalid_grant")
        let afterReuse = try await h.postForm("/auth/token", [("grant_type", "refresh_token"), ("refresh_token", second)])
        #expect(afterReuse.status == 400 && afterReuse.string("error") == "invalid_grant")
        #expect(try await h.request("GET", "/auth/me", headers: [("Authorization", "Bearer \(secondAccess)")]).status == 401)
        let events = try await h.auditEvents(clientID: client.id)
        #expect(events.contains("token_refreshed") && events.contains("refresh_token_reused") && events.contains("token_refresh_denied"))
        await h.shutdown()
    }

    @Test func concurrentRefreshesOfOneTokenSerialiseAndCountAsReuse() async throws {
        let h = try await AuthHarness()
        let client = try await h.createClient()
        try await h.createUser(clientID: client.id, email: "race@example.com", password: "pw")
        let refresh = try #require(try await h.login(slug: client.slug, email: "race@example.com", password: "pw").string("refresh_token"))
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask { try await h.postForm("/auth/token", [("grant_type", "refresh_token"), ("refresh_token", refresh)]).status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        // Row locking lets exactly one rotate; the others see a spent token (reuse).
        #expect(statuses.sorted() == [200, 400, 400, 400])
        #expect(try await h.auditEvents(clientID: client.id).contains("refresh_token_reused"))
        await h.shutdown()
    }

    @Test func lockoutAfterRepeatedFailuresThenRecovery() async throws {
        let h = try await AuthHarness()
        let client = try await h.createClient()
        try await h.createUser(clientID: client.id, email: "mallory@example.com", password: "secret")
        // Step past each growing delay so every attempt reaches the password check.
        for _ in 0..<10 {
            #expect(try await h.login(slug: client.slug, email: "mallory@example.com", password: "guess").status == 401)
            h.clock.advance(by: 61)
        }
        let locked = try await h.login(slug: client.slug, email: "mallory@example.com", password: "secret")
        #expect(locked.status == 429)
        #expect(Int(locked.header("Retry-After") ?? "") ?? 0 > 60)
        h.clock.advance(by: 15 * 60 + 1)
        let recovered = try await h.login(slug: client.slug, email: "mallory@example.com", password: "secret")
        #expect(recovered.status == 200)
        #expect(try await h.service.verifier.verify(try #require(recovered.string("access_token"))).clientID == String(client.id))
        #expect(try await h.auditEvents(clientID: client.id).contains("login_throttled"))
        await h.shutdown()
    }
}
