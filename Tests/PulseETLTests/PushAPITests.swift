import Foundation
import PulseETL
import PulseHTTP
import PulseTestSupport
import Testing

/// Push API (signature and bearer token, idempotency, bad input) and imports (all or none).
@Suite("ETL push API and imports", .serialized, .timeLimit(.minutes(3)))
struct PushAPITests {
    static let sha = String(repeating: "ab", count: 20)

    @Test func signedWebhooksAreIdempotentByExternalID() async throws {
        try await ServiceTestHarness.with { s in
            let a = try await s.jobs.createClient()
            let integration = try await s.jobs.createIntegration(clientID: a.id, provider: "webhook", credentials: #"{"webhook_secret": "s3cret"}"#)
            let body = #"{"external_id": "deploy-1", "repository": "acme/api", "environment": "production", "sha": "\#(Self.sha)", "status": "success", "finished_at": "2026-12-01T10:00:00Z"}"#
            func send(_ body: String, signature: String?) async throws -> ServiceTestHarness.Answer {
                try await s.call(.post, "/etl/webhooks/\(integration)/deployments", body: body,
                                 headers: signature.map { [("X-Pulse-Signature", $0)] } ?? [])
            }
            let first = try await send(body, signature: PushService.signature(body: Array(body.utf8), secret: "s3cret"))
            #expect(first.status == 200)
            #expect(first.json["created"] as? Int == 1)
            let again = try await send(body, signature: PushService.signature(body: Array(body.utf8), secret: "s3cret"))
            #expect(again.json["created"] as? Int == 0 && again.json["updated"] as? Int == 1)
            let changed = body.replacingOccurrences(of: "\"success\"", with: "\"failure\"")
            #expect(try await send(changed, signature: PushService.signature(body: Array(changed.utf8), secret: "s3cret")).status == 200)
            let rows = try await s.jobs.database.query(
                "SELECT d.status, d.environment, r.full_name, d.finished_at = '2026-12-01T10:00:00Z' FROM deployments d JOIN repositories r ON r.id = d.repository_id WHERE d.source = 'push_api' AND d.external_id = 'deploy-1'",
                [], clientID: a.id)
            #expect(rows.count == 1)
            #expect(try rows[0].decode(String.self, at: 0) == "failure")
            #expect(try rows[0].decode(String.self, at: 2) == "acme/api")

            // Wrong secret, tampered body, no credentials at all.
            #expect(try await send(body, signature: PushService.signature(body: Array(body.utf8), secret: "wrong")).status == 401)
            #expect(try await send(body + " ", signature: PushService.signature(body: Array(body.utf8), secret: "s3cret")).status == 401)
            #expect(try await send(body, signature: "sha256=zz").status == 401)
            #expect(try await send(body, signature: nil).status == 401)
            // Unknown integration.
            #expect(try await s.call(.post, "/etl/webhooks/999999/deployments", body: body, headers: [("X-Pulse-Signature", "sha256=00")]).status == 404)
        }
    }

    @Test func bearerTokensOfTheIntegrationsClientAndBadInput() async throws {
        try await ServiceTestHarness.with { s in
            let a = try await s.jobs.createClient(), b = try await s.jobs.createClient()
            let integration = try await s.jobs.createIntegration(clientID: a.id, provider: "webhook")
            let account = try s.token(client: a.id, permissions: ["etl:write"], kind: .serviceAccount)
            let path = "/etl/webhooks/\(integration)/incidents"
            let incident = #"{"external_id": "INC-7", "title": "API down", "started_at": "2026-12-01T10:00:00Z", "resolved_at": "2026-12-01T11:30:00Z", "repository": "acme/api", "deployment": "deploy-1", "severity": "sev1"}"#
            let stored = try await s.call(.post, path, token: account, body: incident)
            #expect(stored.status == 200 && stored.json["created"] as? Int == 1)
            #expect(try await s.call(.post, path, token: account, body: incident).json["updated"] as? Int == 1)
            let rows = try await s.jobs.database.query(
                "SELECT repository_reference, deployment_reference, resolved_at - started_at = interval '90 minutes' FROM incidents WHERE source = 'push_api' AND external_id = 'INC-7'",
                [], clientID: a.id)
            #expect(rows.count == 1)
            #expect(try rows[0].decode(String.self, at: 0) == "acme/api" && rows[0].decode(Bool.self, at: 2))

            // Another client's token: the integration does not exist for it. No etl:write: 403.
            #expect(try await s.call(.post, path, token: try s.token(client: b.id, permissions: ["etl:write"], kind: .serviceAccount), body: incident).status == 404)
            #expect(try await s.call(.post, path, token: try s.token(client: a.id, permissions: ["etl:read"]), body: incident).status == 403)

            // Malformed and invalid bodies name what is wrong; nothing is stored.
            let malformed = try await s.call(.post, path, token: account, body: #"{"external_id": "INC-8", "#)
            #expect(malformed.status == 400 && malformed.headers["Content-Type"]?.hasPrefix("application/problem+json") == true)
            let missing = try await s.call(.post, path, token: account, body: #"{"external_id": "INC-8", "title": "x", "started_at": "yesterday"}"#)
            #expect(missing.status == 422)
            let errors = try #require(missing.json["errors"] as? [[String: Any]])
            #expect(errors.contains { $0["field"] as? String == "started_at" })
            let badDeployment = try await s.call(.post, "/etl/webhooks/\(integration)/deployments", token: account,
                                                 body: #"{"external_id": "d", "repository": "acme", "environment": "prod", "sha": "123", "status": "done"}"#)
            let fields = Set(((badDeployment.json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String })
            #expect(fields == ["repository", "sha", "status"])
            let oversized = try await s.call(.post, path, token: account, body: "[" + String(repeating: " ", count: 300_000) + "]")
            #expect(oversized.status == 413)
            #expect(try await s.jobs.database.query("SELECT 1 FROM incidents WHERE external_id = 'INC-8'", [], clientID: a.id).count == 0)
        }
    }

    @Test func importsStoreAllRowsOrNone() async throws {
        try await ServiceTestHarness.with { s in
            let a = try await s.jobs.createClient()
            let admin = try s.token(client: a.id, permissions: ["etl:*"])
            var csv = "external_id,repository,environment,sha,status,created_at\n"
            for i in 0..<500 {
                csv += "imp-\(i),acme/web,\(i % 2 == 0 ? "production" : "staging"),\(Self.sha),success,2026-11-0\(1 + i % 9)T08:00:00Z\n"
            }
            let bad = csv + "imp-bad,acme/web,production,nothex,success,2026-11-01T08:00:00Z\n\"imp-q,uoted\",acme/web,production,\(Self.sha),unknown,\n"
            let refused = try await s.call(.post, "/etl/imports?kind=deployments", token: admin, body: bad, contentType: "text/csv")
            #expect(refused.status == 422)
            let errors = try #require(refused.json["errors"] as? [[String: Any]])
            #expect(errors.map { $0["row"] as? Int } == [501, 502])
            #expect(errors.map { $0["field"] as? String } == ["sha", "status"])
            #expect(refused.json["detail"] as? String == "2 of 502 rows are invalid; nothing was stored")
            #expect(try await s.jobs.database.query("SELECT count(*) FROM deployments WHERE external_id LIKE 'imp-%'", [], clientID: a.id)[0]
                .decode(Int.self, at: 0) == 0)

            let stored = try await s.call(.post, "/etl/imports?kind=deployments", token: admin, body: csv, contentType: "text/csv")
            #expect(stored.status == 200 && stored.json["stored"] as? Int == 500 && stored.json["created"] as? Int == 500)
            #expect(try await s.jobs.database.query("SELECT count(*) FROM deployments WHERE external_id LIKE 'imp-%'", [], clientID: a.id)[0]
                .decode(Int.self, at: 0) == 500)
            // Again: idempotent.
            #expect(try await s.call(.post, "/etl/imports?kind=deployments", token: admin, body: csv, contentType: "text/csv").json["updated"] as? Int == 500)
            // A duplicate external id inside one file is refused.
            let json = #"[{"external_id": "i-1", "title": "a", "started_at": "2026-11-01T08:00:00Z"}, {"external_id": "i-1", "title": "b", "started_at": "2026-11-01T09:00:00Z"}]"#
            let duplicate = try await s.call(.post, "/etl/imports?kind=incidents", token: admin, body: json)
            #expect(duplicate.status == 422 && duplicate.text.contains("repeats row 1"))
            #expect(try await s.call(.post, "/etl/imports?kind=builds", token: admin, body: json).status == 400)
            #expect(try await s.call(.post, "/etl/imports?kind=incidents", token: try s.token(client: a.id, permissions: ["etl:read"]), body: json).status == 403)
            // The import is in the job history.
            let jobs = try await s.call(.get, "/etl/jobs?status=succeeded", token: admin)
            #expect((jobs.json["items"] as? [[String: Any]])?.contains { $0["job"] as? String == "import:deployments" && $0["items"] as? Int == 500 } == true)
        }
    }

    @Test func csvQuotingFollowsRFC4180() throws {
        let rows = try PushPayload.csvRows(Array("a,b\r\n\"x, \"\"y\"\"\",\"multi\nline\"\n,z\n".utf8))
        #expect(rows == [["a": "x, \"y\"", "b": "multi\nline"], ["b": "z"]])
        #expect(throws: PushPayload.Malformed.self) { try PushPayload.csvRows(Array("a,b\n\"open,1\n".utf8)) }
        #expect(throws: PushPayload.Malformed.self) { try PushPayload.csvRows(Array("a,b\n1,2,3\n".utf8)) }
    }
}
