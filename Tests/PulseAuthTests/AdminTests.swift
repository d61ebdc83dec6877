import Foundation
import PulseAuth
import PulseSecurity
import PulseTestSupport
import Testing

@Suite("Auth service: RBAC administration and authorize")
struct AdminTests {
    /// A client with an administrator holding `users:*`, `service_accounts:admin` and `dora:*`
    /// (nobody grants a permission they do not hold, so the admin needs `dora:*` to hand out `dora:read`).
    static func adminSetup(_ h: AuthHarness) async throws -> (client: (id: Int, slug: String), auth: [(String, String)]) {
        let client = try await h.createClient()
        try await h.grant(clientID: client.id, role: "admin", permission: "users:*")
        try await h.grant(clientID: client.id, role: "admin", permission: "dora:*")
        try await h.grant(clientID: client.id, role: "admin", permission: "service_accounts:admin")
        try await h.createUser(clientID: client.id, email: "root@example.com", password: "pw", roles: ["admin"])
        let token = try #require(try await h.login(slug: client.slug, email: "root@example.com", password: "pw").string("access_token"))
        return (client, [("Authorization", "Bearer \(token)")])
    }

    @Test func adminManagesUsersRolesAndAuthorizeAnswers() async throws {
        let h = try await AuthHarness()
        let (client, auth) = try await Self.adminSetup(h)

        let role = try await h.postJSON("/auth/admin/roles", ["name": "viewer", "permission": "dora:read"], headers: auth)
        #expect(role.status == 201)
        #expect(try await h.postJSON("/auth/admin/roles", ["name": "viewer", "permission": "nocolon"], headers: auth).status == 400)
        let created = try await h.postJSON("/auth/admin/users", ["email": "New@Example.com", "password": "long enough", "role": "viewer"],
                                           headers: auth)
        #expect(created.status == 201 && created.string("email") == "new@example.com")
        let duplicate = try await h.postJSON("/auth/admin/users", ["email": "new@example.com", "password": "long enough"], headers: auth)
        #expect(duplicate.status == 409)
        #expect(try await h.postJSON("/auth/admin/users", ["email": "x@example.com", "password": "short"], headers: auth).status == 400)
        let list = try await h.request("GET", "/auth/admin/users", headers: auth)
        #expect((list.json["users"] as? [[String: Any]])?.count == 2)
        let roles = try await h.request("GET", "/auth/admin/roles", headers: auth)
        #expect(roles.bodyText.contains("dora:read"))

        // The new user signs in with the viewer role; authorize answers for its own token.
        let viewer = try #require(try await h.login(slug: client.slug, email: "new@example.com", password: "long enough").string("access_token"))
        let viewerAuth = [("Authorization", "Bearer \(viewer)")]
        #expect(try await h.postJSON("/auth/authorize", ["permission": "dora:read"], headers: viewerAuth).json["allowed"] as? Bool == true)
        #expect(try await h.postJSON("/auth/authorize", ["permission": "users:admin"], headers: viewerAuth).json["allowed"] as? Bool == false)
        #expect(try await h.postJSON("/auth/authorize", ["permission": "users:admin"], headers: auth).json["allowed"] as? Bool == true)
        #expect(try await h.postJSON("/auth/authorize", ["permission": "dora:read"]).status == 401)
        // Without users:admin the admin API is 403.
        #expect(try await h.request("GET", "/auth/admin/users", headers: viewerAuth).status == 403)

        // Disabling a user kills its live token at once and its sign-in.
        let newID = try #require(created.json["id"] as? Int)
        #expect(try await h.request("POST", "/auth/admin/users/\(newID)/disable", headers: auth).status == 204)
        #expect(try await h.request("GET", "/auth/me", headers: viewerAuth).status == 401)
        #expect(try await h.login(slug: client.slug, email: "new@example.com", password: "long enough").status == 401)
        let events = try await h.auditEvents(clientID: client.id)
        #expect(events.contains("role_changed") && events.contains("user_created") && events.contains("user_disabled"))
        await h.shutdown()
    }

    @Test func serviceAccountsAreCreatedOnceListedAndDisabled() async throws {
        let h = try await AuthHarness()
        let (_, auth) = try await Self.adminSetup(h)
        let created = try await h.postJSON("/auth/admin/service-accounts", ["name": "github-sync", "role": "integrator"], headers: auth)
        #expect(created.status == 201)
        let key = try #require(created.string("client_id")), secret = try #require(created.string("client_secret"))
        let list = try await h.request("GET", "/auth/admin/service-accounts", headers: auth)
        #expect(list.bodyText.contains(key) && !list.bodyText.contains(secret))
        let id = try #require((list.json["service_accounts"] as? [[String: Any]])?.first?["id"] as? Int)

        let basic = ("Authorization", "Basic " + Data("\(key):\(secret)".utf8).base64EncodedString())
        let token = try #require(try await h.postForm("/auth/token", [("grant_type", "client_credentials")], headers: [basic]).string("access_token"))
        #expect(try await h.service.verifier.verify(token).subject == key)
        #expect(try await h.request("POST", "/auth/admin/service-accounts/\(id)/disable", headers: auth).status == 204)
        await #expect(throws: SecurityError.self) { _ = try await h.service.verifier.verify(token) }
        #expect(try await h.postForm("/auth/token", [("grant_type", "client_credentials")], headers: [basic]).status == 401)
        await h.shutdown()
    }

    @Test func adminOfClientACannotTouchClientB() async throws {
        let h = try await AuthHarness()
        let (_, authA) = try await Self.adminSetup(h)
        let b = try await h.createClient()
        let userB = try await h.createUser(clientID: b.id, email: "victim@b.example", password: "pw")
        let saB = try await h.service.createServiceAccount(clientID: b.id, name: "b-sync", role: nil)
        #expect(try await h.request("POST", "/auth/admin/users/\(userB)/disable", headers: authA).status == 404)
        let assign = try await h.postJSON("/auth/admin/users/\(userB)/roles", ["role": "admin"], headers: authA)
        #expect(assign.status == 404)
        let saID = try await h.database.client(b.id).read { tx in
            try await tx.query("SELECT id FROM service_accounts WHERE account_key = $1", saB.key)[0].decode(Int.self, at: 0)
        }
        #expect(try await h.request("POST", "/auth/admin/service-accounts/\(saID)/disable", headers: authA).status == 404)
        let listA = try await h.request("GET", "/auth/admin/users", headers: authA)
        #expect(!listA.bodyText.contains("victim@b.example"))
        // B's user is untouched.
        #expect(try await h.login(slug: b.slug, email: "victim@b.example", password: "pw").status == 200)
        await h.shutdown()
    }
}
