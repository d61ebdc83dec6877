import Foundation
import PulseTestSupport
import Testing

extension BackendTests {
/// F-USERS administration: search and cursor pages read in the tenant scope; changes go
/// through pulse-auth's RBAC with the caller's own credentials.
@Suite("Backend user administration", .timeLimit(.minutes(3)))
struct UserAdminTests {
    @Test func adminsSearchPageAndChangeUsersThroughAuth() async throws {
        let h = try await BackendHarness()
        do {
            let tenant = try await h.createClient(), other = try await h.createClient()
            let admin = try await h.signedIn(tenant, roles: ["admin"]), viewer = try await h.signedIn(tenant, roles: ["viewer"])
            for name in ["alice", "bob", "alina"] { try await h.createUser(tenant, email: "\(name)@acme.test", roles: ["viewer"]) }
            let outsider = try await h.createUser(other, email: "alice@other.test", roles: [])
            let search = try await h.request("GET", "/api/v1/users?q=ali&limit=1", session: admin)
            #expect(search.status == 200 && search.items.count == 1 && search.items[0]["email"] as? String == "alice@acme.test")
            let cursor = try #require(search.json["next_cursor"] as? String)
            let next = try await h.request("GET", "/api/v1/users?q=ali&limit=1&cursor=\(cursor)", session: admin)
            #expect(next.items.map { $0["email"] as? String } == ["alina@acme.test"] && next.json["next_cursor"] == nil)
            #expect(try await h.request("GET", "/api/v1/users?q=%25", session: admin).items.isEmpty)  // % is literal
            #expect(try await h.request("GET", "/api/v1/users?cursor=garbage", session: admin).detail == "field 'cursor' is not a cursor this API returned")
            #expect(try await h.request("GET", "/api/v1/users", session: viewer).status == 403)
            #expect(try await h.request("GET", "/api/v1/users/\(outsider)", session: admin).status == 404)

            let created = try await h.request("POST", "/api/v1/users", session: admin,
                                              json: ["email": "carol@acme.test", "password": "long enough pw", "role": "viewer"])
            #expect(created.status == 201, "\(created.bodyText)")
            let carol = try #require(created.json["id"] as? Int)
            #expect(try await h.request("POST", "/api/v1/users/\(carol)/roles", session: admin, json: ["role": "etl-admin"]).status == 200)
            let roles = try await h.request("GET", "/api/v1/users/\(carol)", session: admin).json["roles"] as? [String]
            #expect(roles == ["etl-admin", "viewer"])
            #expect(try await h.request("DELETE", "/api/v1/users/\(carol)/roles/etl-admin", session: admin).status == 204)
            #expect(try await h.request("POST", "/api/v1/users/\(carol)/disable", session: admin).status == 204)
            #expect(try await h.request("POST", "/api/v1/users/\(admin.userID)/disable", session: admin).status == 409)
            #expect(try await h.request("POST", "/api/v1/users/\(outsider)/disable", session: admin).status == 404)
            #expect(try await h.request("POST", "/api/v1/users", session: admin, json: ["email": "x@acme.test", "password": "short"]).status == 400)
            let audit = try await h.request("GET", "/api/v1/audit?resource_type=user", session: admin)
            #expect(audit.items.map { $0["action"] as? String ?? "" } == ["disable", "remove_role", "assign_role", "create"])
            #expect(!audit.bodyText.contains("long enough pw"))
        } catch { await h.shutdown(); throw error }
        await h.shutdown()
    }

    @Test func cookieCallersNeedTheCSRFToken() async throws {
        let h = try await BackendHarness()
        do {
            let tenant = try await h.createClient()
            let admin = try await h.signedIn(tenant, roles: ["admin"])
            let cookie = try #require(admin.cookie), csrf = try #require(admin.csrf)
            let body = Array(try JSONSerialization.data(withJSONObject: IntegrationAndMappingTests.github))
            let withCSRF = try await HTTPTestClient(port: h.port).request("POST", "/api/v1/integrations", headers: [
                ("Cookie", cookie), ("X-CSRF-Token", csrf), ("Content-Type", "application/json"),
            ], body: body)
            #expect(withCSRF.status == 201, "\(withCSRF.bodyText)")
            let without = try await HTTPTestClient(port: h.port).request("POST", "/api/v1/integrations", headers: [
                ("Cookie", cookie), ("Content-Type", "application/json"),
            ], body: body)
            #expect(without.status == 403)
            #expect(try await HTTPTestClient(port: h.port).request("GET", "/api/v1/integrations", headers: [("Cookie", cookie)]).status == 200)
        } catch { await h.shutdown(); throw error }
        await h.shutdown()
    }
}
}
