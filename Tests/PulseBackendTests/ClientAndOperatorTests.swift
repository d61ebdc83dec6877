import Foundation
import PulseAuth
import PulsePostgres
import PulseTestSupport
import Testing

/// F-TENANT: platform operators manage clients; deactivation stops sign-in and tokens within
/// a second and keeps the data; reactivation brings it back.
extension BackendTests {
@Suite("Backend clients and operators", .timeLimit(.minutes(3)))
struct ClientAndOperatorTests {
    @Test func operatorsCreateConfigureDeactivateAndReactivate() async throws {
        let h = try await BackendHarness()
        do {
            let platform = try await h.platformClient()
            let op = try await h.signedIn(platform, roles: ["operator"])
            let slug = "c-" + UUID().uuidString.prefix(10).lowercased()
            let created = try await h.request("POST", "/api/v1/clients", session: op, json: [
                "name": "Acme", "slug": slug, "settings": ["time_zone": "Europe/Berlin", "benchmark_year": 2023],
                "feature_flags": ["ai_features": false],
            ])
            #expect(created.status == 201, "\(created.bodyText)")
            let id = try #require(created.json["id"] as? Int)
            #expect((created.json["settings"] as? [String: Any])?["time_zone"] as? String == "Europe/Berlin")
            #expect((created.json["feature_flags"] as? [String: Any])?["ai_features"] as? Bool == false)
            let year = try await h.database.client(id).read { tx in
                try await tx.query("SELECT dora_benchmark_year FROM clients WHERE id = $1", id)[0].decode(Int.self, at: 0)
            }
            #expect(year == 2023)
            // Built-in roles exist, so the first admin works at once.
            let roles = try await h.database.client(id).read { tx in
                try await tx.query("SELECT name FROM roles ORDER BY name").map { try $0.decode(String.self, at: 0) }
            }
            #expect(roles == ["admin", "etl-admin", "viewer"])
            let tenant = BackendHarness.Tenant(id: id, slug: slug)
            let admin = try await h.signedIn(tenant, roles: ["admin"])
            let integration = try await h.request("POST", "/api/v1/integrations", session: admin, json: BackendTests.IntegrationAndMappingTests.github)
            #expect(integration.status == 201)
            // A client admin is no operator; an operator of a customer client is none either.
            #expect(try await h.request("GET", "/api/v1/clients", session: admin).status == 403)
            try await h.grant(id, role: "admin", permissions: ["clients:admin"])
            let adminWithClientsAdmin = try await h.signedIn(tenant, roles: ["admin"])
            #expect(try await h.request("GET", "/api/v1/clients", session: adminWithClientsAdmin).status == 403)
            #expect(try await h.request("GET", "/api/v1/clients").status == 401)

            let list = try await h.request("GET", "/api/v1/clients?limit=200", session: op)
            #expect(list.status == 200 && list.items.contains { $0["slug"] as? String == slug })
            #expect(!list.items.contains { $0["slug"] as? String == platform.slug })
            #expect(try await h.request("GET", "/api/v1/clients/\(platform.id)", session: op).status == 404)
            #expect(try await h.request("GET", "/api/v1/clients/999999999", session: op).status == 404)

            let etag = try #require(created.header("ETag"))
            let renamed = try await h.request("PATCH", "/api/v1/clients/\(id)", session: op, json: ["name": "Acme Pay"], headers: [("If-Match", etag)])
            #expect(renamed.status == 200 && renamed.json["name"] as? String == "Acme Pay")
            #expect(try await h.request("PATCH", "/api/v1/clients/\(id)", session: op, json: ["name": "X"], headers: [("If-Match", etag)]).status == 412)

            // Deactivate: sign-in refused, live tokens refused within a second, data kept, ETL flag off.
            #expect(try await h.request("GET", "/api/v1/integrations", session: admin).status == 200)
            let deactivated = try await h.request("POST", "/api/v1/clients/\(id)/deactivate", session: op, json: [String: Any]())
            #expect(deactivated.status == 200 && deactivated.json["active"] as? Bool == false)
            var refused = false
            for _ in 0..<10 where !refused {
                refused = try await h.request("GET", "/api/v1/integrations", session: admin).status == 401
                if !refused { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(refused, "the deactivated client's token still worked after a second")
            #expect(try await h.loginStatus(tenant, email: admin.email) == 401)
            let active = try await h.database.client(id).read { tx in
                try await tx.query("SELECT active FROM clients WHERE id = $1", id)[0].decode(Bool.self, at: 0)
            }
            #expect(active == false)
            let kept = try await h.database.client(id).read { tx in try await tx.query("SELECT count(*) FROM integrations")[0].decode(Int.self, at: 0) }
            #expect(kept == 1)
            // Reactivate: users sign in again and find their data.
            #expect(try await h.request("POST", "/api/v1/clients/\(id)/reactivate", session: op, json: [String: Any]()).status == 200)
            #expect(try await h.loginStatus(tenant, email: admin.email) == 200)
            let again = try await h.signedIn(tenant, roles: ["viewer"])
            #expect(try await h.request("GET", "/api/v1/integrations", session: again).items.count == 1)
            let audit = try await h.request("GET", "/api/v1/audit?resource_type=client", session: again)
            #expect(audit.status == 403)  // a viewer does not read the audit trail
            let trail = try await h.request("GET", "/api/v1/audit?resource_type=client", session: try await h.signedIn(tenant, roles: ["admin"]))
            #expect(trail.items.map { $0["action"] as? String ?? "" } == ["reactivate", "deactivate", "update", "create"])
        } catch { await h.shutdown(); throw error }
        await h.shutdown()
    }

    @Test func badClientInputIsRefused() async throws {
        let h = try await BackendHarness()
        do {
            let op = try await h.signedIn(try await h.platformClient(), roles: ["operator"])
            let badSlug = try await h.request("POST", "/api/v1/clients", session: op, json: ["name": "X", "slug": "Not Valid"])
            #expect(badSlug.status == 400 && badSlug.detail.hasPrefix("field 'slug'"))
            let zone = try await h.request("POST", "/api/v1/clients", session: op, json: ["name": "X", "slug": "ok-slug-z", "settings": ["time_zone": "Mars/Olympus"]])
            #expect(zone.status == 400 && zone.detail.hasPrefix("field 'settings.time_zone'"))
            let flag = try await h.request("POST", "/api/v1/clients", session: op, json: ["name": "X", "slug": "ok-slug-f", "feature_flags": ["warp": true]])
            #expect(flag.status == 400 && flag.detail == "field 'feature_flags.warp' is not a known field")
        } catch { await h.shutdown(); throw error }
        await h.shutdown()
    }
}
}
