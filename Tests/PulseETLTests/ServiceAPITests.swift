import Foundation
import PulseETL
import PulseHTTP
import PulseTestSupport
import PulseWebSocket
import Testing

/// The `/etl/jobs`, `/etl/schedules` and `/ws/jobs` contract over real sockets.
@Suite("ETL API", .serialized, .timeLimit(.minutes(3)))
struct ServiceAPITests {
    @Test func jobsContract() async throws {
        try await ServiceTestHarness.with { s in
            let a = try await s.jobs.createClient(), b = try await s.jobs.createClient()
            let integration = try await s.jobs.createIntegration(clientID: a.id)
            let admin = try s.token(client: a.id, permissions: ["etl:*"])
            let reader = try s.token(client: a.id, permissions: ["etl:read"])
            let stranger = try s.token(client: b.id, permissions: ["etl:*"])

            let queued = try await s.call(.post, "/etl/jobs", token: admin, body: #"{"integration_id": \#(integration), "mode": "full"}"#)
            #expect(queued.status == 202)
            #expect(queued.json["status"] as? String == "queued")
            let id = try #require(queued.json["id"] as? Int)

            let one = try await s.call(.get, "/etl/jobs/\(id)", token: reader)
            #expect(one.status == 200)
            #expect(one.json["id"] as? Int == id)
            #expect(one.json["integration_id"] as? Int == integration)
            #expect(one.json["mode"] as? String == "full")
            #expect(one.json["progress"] is [String: Any])
            #expect(one.json.keys.contains("error") && one.json.keys.contains("created_at") && one.json.keys.contains("duration_seconds"))

            let list = try await s.call(.get, "/etl/jobs?status=queued&integration_id=\(integration)", token: reader)
            #expect(list.status == 200)
            #expect((list.json["items"] as? [[String: Any]])?.map { $0["id"] as? Int } == [id])

            // Tenant, authentication, permission.
            #expect(try await s.call(.get, "/etl/jobs/\(id)", token: stranger).status == 404)
            #expect((try await s.call(.get, "/etl/jobs", token: stranger).json["items"] as? [Any])?.isEmpty == true)
            #expect(try await s.call(.post, "/etl/jobs/\(id)/cancel", token: stranger).status == 404)
            #expect(try await s.call(.get, "/etl/jobs/\(id)").status == 401)
            #expect(try await s.call(.post, "/etl/jobs", token: reader, body: #"{"integration_id": \#(integration)}"#).status == 403)
            #expect(try await s.call(.post, "/etl/jobs", token: stranger, body: #"{"integration_id": \#(integration)}"#).status == 422)

            // Bad input names the field.
            let badMode = try await s.call(.post, "/etl/jobs", token: admin, body: #"{"integration_id": \#(integration), "mode": "partial"}"#)
            #expect(badMode.status == 422 && badMode.text.contains("mode"))
            #expect(badMode.headers["Content-Type"]?.hasPrefix("application/problem+json") == true)
            let unknown = try await s.call(.post, "/etl/jobs", token: admin, body: #"{"integration_id": 999999}"#)
            #expect(unknown.status == 422 && unknown.text.contains("integration_id"))
            #expect(try await s.call(.post, "/etl/jobs", token: admin, body: "{not json").status == 400)
            #expect(try await s.call(.get, "/etl/jobs?status=done", token: reader).status == 400)

            // Pause, resume, cancel over the API.
            #expect(try await s.call(.post, "/etl/jobs/\(id)/pause", token: admin).json["status"] as? String == "paused")
            #expect(try await s.call(.post, "/etl/jobs/\(id)/resume", token: admin).json["status"] as? String == "queued")
            #expect(try await s.call(.post, "/etl/jobs/\(id)/cancel", token: admin).json["status"] as? String == "cancelled")
            #expect(try await s.call(.post, "/etl/jobs/\(id)/resume", token: admin).status == 409)

            // Cursor pagination.
            for _ in 0..<3 { _ = try await s.call(.post, "/etl/jobs", token: admin, body: #"{"integration_id": \#(integration)}"#) }
            let first = try await s.call(.get, "/etl/jobs?limit=2", token: reader)
            #expect((first.json["items"] as? [Any])?.count == 2)
            let cursor = try #require(first.json["next_cursor"] as? String)
            let second = try await s.call(.get, "/etl/jobs?limit=2&cursor=\(cursor)", token: reader)
            #expect((second.json["items"] as? [Any])?.count == 2)
            #expect(second.json["next_cursor"] is NSNull)
        }
    }

    @Test func schedulesContract() async throws {
        try await ServiceTestHarness.with { s in
            let a = try await s.jobs.createClient(), b = try await s.jobs.createClient()
            let integration = try await s.jobs.createIntegration(clientID: a.id)
            let admin = try s.token(client: a.id, permissions: ["etl:*"])
            let created = try await s.call(.post, "/etl/schedules", token: admin,
                                           body: #"{"integration_id": \#(integration), "cron": "0 */6 * * *", "mode": "incremental"}"#)
            #expect(created.status == 201)
            let id = try #require(created.json["id"] as? Int)
            #expect(created.json["next_run_at"] is String)
            let invalid = try await s.call(.post, "/etl/schedules", token: admin, body: #"{"integration_id": \#(integration), "cron": "0 25 * * *"}"#)
            #expect(invalid.status == 422)
            #expect(invalid.json["detail"] as? String == "cron: hour field: 25 is out of range 0-23")
            let changed = try await s.call(.put, "/etl/schedules/\(id)", token: admin, body: #"{"cron": "*/30 * * * *", "status": "paused"}"#)
            #expect(changed.status == 200 && changed.json["cron"] as? String == "*/30 * * * *" && changed.json["status"] as? String == "paused")
            #expect(try await s.call(.put, "/etl/schedules/\(id)", token: admin, body: #"{"cron": "* * * * * *"}"#).status == 422)
            #expect((try await s.call(.get, "/etl/schedules", token: admin).json["items"] as? [Any])?.count == 1)
            let stranger = try s.token(client: b.id, permissions: ["etl:*"])
            #expect(try await s.call(.get, "/etl/schedules/\(id)", token: stranger).status == 404)
            #expect(try await s.call(.delete, "/etl/schedules/\(id)", token: stranger).status == 404)
            #expect(try await s.call(.delete, "/etl/schedules/\(id)", token: admin).status == 204)
            #expect(try await s.call(.get, "/etl/schedules/\(id)", token: admin).status == 404)
        }
    }

    @Test func progressStreamsToTheJobsClientOnlyWithASnapshotFirst() async throws {
        try await ServiceTestHarness.with { s in
            let a = try await s.jobs.createClient(), b = try await s.jobs.createClient()
            let source = TestSource(.init(pages: 4, perPage: 5, pageDelay: .milliseconds(150)))
            let integration = try await s.jobs.createIntegration(clientID: a.id)
            let admin = try s.token(client: a.id, permissions: ["etl:*"])
            let queued = try await s.call(.post, "/etl/jobs", token: admin, body: #"{"integration_id": \#(integration), "mode": "full"}"#)
            let id = try #require(queued.json["id"] as? Int)
            let other = try await s.webSocket("/ws/jobs", token: try s.token(client: b.id, permissions: ["etl:read"]))
            let otherSnapshot = try await other.nextJSON()
            #expect(otherSnapshot["type"] as? String == "snapshot")
            #expect((otherSnapshot["jobs"] as? [Any])?.isEmpty == true)

            let worker = try s.jobs.worker(source.registry, owner: "ws-worker", client: a)
            let run = Task { try await worker.runAvailable() }
            while try await s.jobs.job(a.id, id).pages < 1 { try await Task.sleep(for: .milliseconds(20)) }
            // Connects mid-job: the current state first.
            let ws = try await s.webSocket("/ws/jobs", token: try s.token(client: a.id, permissions: ["etl:read"]))
            let snapshot = try await ws.nextJSON()
            #expect(snapshot["type"] as? String == "snapshot")
            let current = try #require((snapshot["jobs"] as? [[String: Any]])?.first { $0["id"] as? Int == id })
            #expect(current["status"] as? String == "running")
            #expect((current["progress"] as? [String: Any])?["phase"] as? String == "test rows")
            var frames: [[String: Any]] = []
            while true {
                let frame = try await ws.nextJSON()
                frames.append(frame)
                if let job = frame["job"] as? [String: Any], job["status"] as? String == "succeeded" { break }
            }
            _ = try await run.value
            let pages = frames.filter { $0["event"] as? String == "page" }
            #expect(!pages.isEmpty)
            let last = try #require(frames.last?["job"] as? [String: Any])
            let progress = try #require(last["progress"] as? [String: Any])
            #expect(progress["items_done"] as? Int == 20 && progress["pages_done"] as? Int == 4)
            #expect(progress["phase_total_items"] as? Int == 20)
            #expect(progress["rate_items_per_second"] is Double || progress["rate_items_per_second"] is Int)
            #expect(frames.allSatisfy { $0["type"] as? String == "job" && $0["client_id"] as? Int == a.id })
            // Client B saw nothing of A's job.
            await #expect(throws: (any Error).self) { _ = try await other.nextJSON(seconds: 0.5) }
            _ = await ws.close()
            #expect(try await s.call(.get, "/ws/jobs").status == 401)
        }
    }

    @Test func aDedicatedInstanceServesItsOwnClientOnly() async throws {
        let setup = try await JobTestHarness.make()
        let acme = try await setup.createClient(), other = try await setup.createClient()
        let acmeIntegration = try await setup.createIntegration(clientID: acme.id, provider: "webhook")
        let otherIntegration = try await setup.createIntegration(clientID: other.id, provider: "webhook", credentials: #"{"webhook_secret": "k"}"#)
        await setup.shutdown()
        try await ServiceTestHarness.with(scope: .dedicated(clientID: acme.id, slug: acme.slug)) { s in
            let mine = try s.token(client: acme.id, permissions: ["etl:*"]), theirs = try s.token(client: other.id, permissions: ["etl:*"])
            #expect(try await s.call(.get, "/etl/jobs", token: mine).status == 200)
            #expect(try await s.call(.post, "/etl/jobs", token: mine, body: #"{"integration_id": \#(acmeIntegration)}"#).status == 422)  // a webhook integration
            let refused = try await s.call(.get, "/etl/jobs", token: theirs)
            #expect(refused.status == 403 && refused.text.contains(acme.slug))
            let body = #"{"external_id": "e", "title": "t", "started_at": "2026-12-01T10:00:00Z"}"#
            #expect(try await s.call(.post, "/etl/webhooks/\(otherIntegration)/incidents", body: body,
                                     headers: [("X-Pulse-Signature", PushService.signature(body: Array(body.utf8), secret: "k"))]).status == 403)
        }
    }
}
