import Foundation
import PulseObservability
import PulsePostgres
import Testing
@testable import PulseAI

@Suite("AI predictions, anomalies, validation and feedback", .serialized, .timeLimit(.minutes(5)))
struct PredictionAndAlertTests {
    static let day = 86_400.0

    @Test func storyPointsFromNeighboursAreLoggedAndScored() async throws {
        let h = try await AIHarness.make()
        let clientID = try await h.client(), other = try await h.client()
        let project = try await h.project(clientID, key: "WEB")
        let done = Date(timeIntervalSinceNow: -2 * Self.day)
        let finished: [(String, Double)] = [
            ("Migrate the orders table to the new PostgreSQL cluster", 8), ("Migrate the customers table to the new database cluster", 8),
            ("Move the invoices table onto the new PostgreSQL server", 8), ("Fix a typo on the login button", 1),
            ("Correct the spelling of the signup link label", 1), ("Change the colour of the footer text", 1),
        ]
        for (n, (summary, points)) in finished.enumerated() {
            try await h.workItem(clientID, project: project, key: "WEB-\(n + 1)", summary: summary, storyPoints: points,
                                 created: Date(timeIntervalSinceNow: -12 * Self.day), resolved: done)
        }
        let open = try await h.workItem(clientID, project: project, key: "WEB-20", summary: "Migrate the payments table to the new PostgreSQL cluster")
        let metrics = MetricsRegistry()
        let engine = try h.engine(metrics: metrics)
        await engine.pipeline.drainNow(clientID: clientID)
        try await h.withService(engine) { port in
            let token = try h.token(clientID: clientID)
            let response = try await call(port, .post, "/ai/estimates/story-points", token: token, json: ["work_item_id": open])
            #expect(response.status == 200, "\(response.text)")
            let body = try #require(response.json as? [String: Any])
            #expect(body["estimate"] as? Double == 8, "\(response.text)")
            let neighbours = try #require(body["neighbours"] as? [[String: Any]])
            #expect(neighbours.prefix(3).allSatisfy { ($0["summary"] as? String)?.contains("table") == true }, "\(neighbours)")
            #expect((body["confidence"] as? Double ?? 0) > 0.3)
            #expect(abs((body["estimated_cycle_time_days"] as? Double ?? 0) - 10) < 0.1)
            let predictionID = try #require(body["prediction_id"] as? Int)
            // Another client cannot estimate (or see) this item.
            #expect(try await call(port, .post, "/ai/estimates/story-points", token: try h.token(clientID: other), json: ["work_item_id": open]).status == 404)
            #expect(try await call(port, .post, "/ai/estimates/story-points", token: token, json: ["work_item_id": 987_654_321]).status == 404)
            #expect(try await call(port, .post, "/ai/estimates/story-points", token: token, json: ["nope": 1]).status == 400)

            // Done with 5 points: accuracy 1 − |8 − 5| / 5 = 0.4.
            try await h.database.client(clientID).query("UPDATE work_items SET resolved_at = now(), story_points = 5 WHERE id = $1", [open])
            let scored = try await call(port, .post, "/ai/predictions/score", token: token)
            #expect((scored.json as? [String: Any])?["scored"] as? Int == 1)
            let predictions = try await call(port, "/ai/predictions?type=story_points", token: token)
            let row = try #require((predictions.json as? [[String: Any]])?.first { $0["id"] as? Int == predictionID })
            #expect(row["actual_value"] as? Double == 5)
            #expect(abs((row["accuracy_score"] as? Double ?? 0) - 0.4) < 1e-9)
            let accuracy = try await call(port, "/ai/predictions/accuracy", token: token)
            let model = try #require((accuracy.json as? [[String: Any]])?.first)
            #expect(model["model_name"] as? String == "story-points-knn-v1/all-MiniLM-L6-v2")
            #expect(abs((model["mean_accuracy"] as? Double ?? 0) - 0.4) < 1e-9)
            let foreign = try await call(port, "/ai/predictions", token: try h.token(clientID: other))
            #expect((foreign.json as? [Any])?.isEmpty == true, "\(foreign.text)")
        }
        #expect(metrics.render().contains("pulse_ai_prediction_accuracy{client=\"\(clientID)\",model=\"story-points-knn-v1/all-MiniLM-L6-v2\"} 0.4"))
    }

    @Test func deliveryForecastFromThroughputIsLoggedAndScored() async throws {
        let h = try await AIHarness.make()
        let clientID = try await h.client()
        let project = try await h.project(clientID, key: "FC")
        // Three items finished in each of the last 10 full weeks (Wednesday noon of each week).
        let calendar = Calendar(identifier: .iso8601)
        var utc = calendar
        utc.timeZone = TimeZone(identifier: "UTC")!
        let monday = utc.dateInterval(of: .weekOfYear, for: Date())!.start
        var n = 0
        for week in 1...10 {
            for _ in 0..<3 {
                n += 1
                let resolved = monday.addingTimeInterval(-Double(week) * 7 * Self.day + 2.5 * Self.day)
                try await h.workItem(clientID, project: project, key: "FC-\(n)", summary: "Done item \(n)", created: resolved.addingTimeInterval(-5 * Self.day),
                                     resolved: resolved)
            }
        }
        var open: [Int64] = []
        for k in 0..<9 { open.append(try await h.workItem(clientID, project: project, key: "FC-O\(k)", summary: "Open item \(k)")) }
        let engine = try h.engine()
        try await h.withService(engine) { port in
            let token = try h.token(clientID: clientID)
            let target = DeliveryForecaster.day.string(from: Date().addingTimeInterval(23 * Self.day))
            let response = try await call(port, .post, "/ai/forecasts/delivery", token: token,
                                          json: ["project": "FC", "history_weeks": 8, "trials": 10_000, "target_date": target, "seed": 7])
            #expect(response.status == 200, "\(response.text)")
            let body = try #require(response.json as? [String: Any])
            #expect(body["throughput_history"] as? [Int] == Array(repeating: 3, count: 8))
            #expect(body["remaining_items"] as? Int == 9)
            #expect(body["p50_weeks"] as? Int == 3 && body["p85_weeks"] as? Int == 3 && body["p95_weeks"] as? Int == 3)
            #expect(body["probability_by_target"] as? Double == 1)
            let early = try await call(port, .post, "/ai/forecasts/delivery", token: token, json: [
                "work_item_ids": open, "history_weeks": 8,
                "target_date": DeliveryForecaster.day.string(from: Date().addingTimeInterval(10 * Self.day)),
            ])
            #expect((early.json as? [String: Any])?["probability_by_target"] as? Double == 0, "\(early.text)")
            #expect(try await call(port, .post, "/ai/forecasts/delivery", token: token, json: ["work_item_ids": [99_999_999]]).status == 404)
            #expect(try await call(port, .post, "/ai/forecasts/delivery", token: token, json: ["project": "FC", "trials": 5]).status == 400)
            let empty = try await h.project(clientID, key: "EMPTY")
            try await h.workItem(clientID, project: empty, key: "EMPTY-1", summary: "Lonely")
            let none = try await call(port, .post, "/ai/forecasts/delivery", token: token, json: ["project": "EMPTY"])
            #expect(none.status == 422, "\(none.text)")
            #expect(none.contentType?.hasPrefix("application/problem+json") == true)

            // All nine done now: both forecasts came true by their P85 date.
            try await h.database.client(clientID).query("UPDATE work_items SET resolved_at = now() WHERE id = ANY($1::bigint[])", [open])
            let scored = try await call(port, .post, "/ai/predictions/score", token: token)
            #expect((scored.json as? [String: Any])?["scored"] as? Int == 2, "\(scored.text)")
            let rows = try #require(try await call(port, "/ai/predictions?type=delivery_forecast", token: token).json as? [[String: Any]])
            #expect(rows.count == 2 && rows.allSatisfy { $0["accuracy_score"] as? Double == 1 })
        }
        // The forecast's speed is measured by `pulse-ai bench` (bench/ai), not asserted here.
    }

    @Test func anomaliesBecomeOneAlertPerOngoingAnomalyAndCanBeAcknowledged() async throws {
        let h = try await AIHarness.make()
        let clientID = try await h.client(), other = try await h.client()
        var utc = Calendar(identifier: .iso8601)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let monday = utc.dateInterval(of: .weekOfYear, for: Date())!.start
        // ETL sync runs: about a minute each for 16 weeks, then 10 minutes in the last full week.
        for week in 1...17 {
            let seconds = week == 1 ? 600.0 : 60 + Double(week % 5)
            for run in 0..<3 {
                let started = monday.addingTimeInterval(-Double(week) * 7 * Self.day + Double(run) * Self.day)
                try await h.database.client(clientID).query("""
                    INSERT INTO etl_job_runs (client_id, job, status, started_at, finished_at) VALUES ($1, 'jira_sync', 'succeeded', $2, $3)
                    """, [clientID, started, started.addingTimeInterval(seconds)])
            }
        }
        let engine = try h.engine()
        let first = try await engine.anomalies.run(clientID: clientID)
        #expect(first.count == 1 && first[0].created)
        #expect(try await engine.anomalies.run(clientID: clientID).isEmpty)  // same week: nothing new
        #expect(try await engine.anomalies.run(clientID: other).isEmpty)
        // Next week slow again: the same alert is extended, not a second one.
        for run in 0..<3 {
            let started = monday.addingTimeInterval(Double(run) * Self.day)
            try await h.database.client(clientID).query("""
                INSERT INTO etl_job_runs (client_id, job, status, started_at, finished_at) VALUES ($1, 'jira_sync', 'succeeded', $2, $3)
                """, [clientID, started, started.addingTimeInterval(700)])
        }
        let next = try await engine.anomalies.run(clientID: clientID, asOf: Date().addingTimeInterval(7 * Self.day))
        #expect(next.count == 1 && !next[0].created && next[0].id == first[0].id)
        try await h.withService(engine) { port in
            let token = try h.token(clientID: clientID, subject: "42")
            let alerts = try #require(try await call(port, "/ai/alerts", token: token).json as? [[String: Any]])
            #expect(alerts.count == 1)
            let data = try #require(alerts[0]["alert_data"] as? [String: Any])
            #expect(data["metric"] as? String == "etl_job_duration")
            #expect(data["weeks"] as? Int == 2)
            #expect(abs((data["median"] as? Double ?? 0) - 62) < 2.5, "\(data)")
            #expect((data["history"] as? [Any])?.count == 17)
            #expect(alerts[0]["severity"] as? String == "critical")
            #expect(try await call(port, .post, "/ai/alerts/\(first[0].id)/acknowledge", token: try h.token(clientID: other)).status == 404)
            let acknowledged = try await call(port, .post, "/ai/alerts/\(first[0].id)/acknowledge", token: token)
            #expect(acknowledged.status == 200, "\(acknowledged.text)")
            #expect((acknowledged.json as? [String: Any])?["acknowledged_by"] as? Int == 42)
            #expect((acknowledged.json as? [String: Any])?["acknowledged_at"] != nil)
            #expect((try await call(port, "/ai/alerts?acknowledged=false", token: token).json as? [Any])?.isEmpty == true)
            #expect((try await call(port, "/ai/alerts", token: try h.token(clientID: other)).json as? [Any])?.isEmpty == true)
            #expect(try await call(port, .post, "/ai/alerts/\(first[0].id)/acknowledge", token: try h.token(clientID: clientID, permissions: ["ai:read"])).status == 403)
        }
    }

    @Test func validationFindingsCanBeSeenAndDismissed() async throws {
        let h = try await AIHarness.make()
        let clientID = try await h.client(), other = try await h.client()
        let now = Date()
        try await h.workItem(clientID, project: nil, key: "BAD-1", summary: "Time travel", created: now, resolved: now.addingTimeInterval(-Self.day),
                             status: "Waiting for Godot")
        try await h.database.client(clientID).query(
            "INSERT INTO work_items (client_id, key, summary, source_created_at, parent_key) VALUES ($1, 'BAD-2', 'Orphan', now(), 'EPIC-404')", [clientID])
        let repository = try await h.repository(clientID, name: "acme/api")
        try await h.database.client(clientID).query("""
            INSERT INTO prs (client_id, repository_id, number, title, state, source_created_at, merged_at)
            VALUES ($1, $2, 1, 'Merged before opened', 'merged', now(), now() - interval '1 day')
            """, [clientID, repository])
        try await h.database.client(clientID).query("""
            INSERT INTO deployments (client_id, repository_id, source, external_id, environment, sha, status, source_created_at)
            VALUES ($1, $2, 'push_api', 'd1', 'production', $3, 'success', now())
            """, [clientID, repository, String(repeating: "a", count: 40)])
        try await h.database.client(clientID).query("""
            INSERT INTO incidents (client_id, source, external_id, title, started_at) VALUES ($1, 'push_api', 'inc-1', 'Outage', now())
            """, [clientID])
        let engine = try h.engine()
        try await h.withService(engine) { port in
            let token = try h.token(clientID: clientID)
            let run = try await call(port, .post, "/ai/validation/run", token: token)
            #expect(run.status == 200, "\(run.text)")
            let findings = try #require(try await call(port, "/ai/validation/findings", token: token).json as? [[String: Any]])
            let rules = Set(findings.compactMap { $0["rule"] as? String })
            for rule in ["work_item_resolved_before_created", "pr_merged_before_opened", "deployment_unknown_sha", "incident_without_repository",
                         "work_item_missing_parent", "unmapped_status", "unmapped_work_item_type"] {
                #expect(rules.contains(rule), "\(rule) missing from \(rules)")
            }
            #expect((try await call(port, .post, "/ai/validation/run", token: token).json as? [String: Any])?["added"] as? Int == 0)
            let target = try #require(findings.first { $0["rule"] as? String == "deployment_unknown_sha" }?["id"] as? Int)
            #expect(try await call(port, .post, "/ai/validation/findings/\(target)/dismiss", token: try h.token(clientID: other)).status == 404)
            #expect(try await call(port, .post, "/ai/validation/findings/\(target)/dismiss", token: token).status == 204)
            _ = try await call(port, .post, "/ai/validation/run", token: token)
            let open = try #require(try await call(port, "/ai/validation/findings", token: token).json as? [[String: Any]])
            #expect(!open.contains { $0["id"] as? Int == target })
            let all = try #require(try await call(port, "/ai/validation/findings?include_dismissed=true", token: token).json as? [[String: Any]])
            let dismissed = try #require(all.first { $0["id"] as? Int == target })
            #expect(dismissed["dismissed_by"] as? String == "7")
            #expect((try await call(port, "/ai/validation/findings", token: try h.token(clientID: other)).json as? [Any])?.isEmpty == true)
        }
    }

    @Test func feedbackIsStoredAndUsed() async throws {
        let h = try await AIHarness.make()
        let clientID = try await h.client()
        let project = try await h.project(clientID, key: "DUP")
        let a = try await h.workItem(clientID, project: project, key: "DUP-1", summary: "Export of the monthly report to CSV fails with a timeout")
        let b = try await h.workItem(clientID, project: project, key: "DUP-2", summary: "Monthly report CSV export times out and fails")
        try await h.workItem(clientID, project: project, key: "DUP-3", summary: "Add two-factor authentication with an authenticator app")
        let engine = try h.engine()
        await engine.pipeline.drainNow(clientID: clientID)
        try await h.withService(engine) { port in
            let token = try h.token(clientID: clientID)
            let before = try #require(try await call(port, "/ai/duplicates?project=DUP&threshold=0.7", token: token).json as? [String: Any])
            let pairs = try #require(before["pairs"] as? [[String: Any]])
            #expect(pairs.count == 1, "\(pairs)")
            let ids = Set(pairs.flatMap { pair in ["a", "b"].compactMap { (pair[$0] as? [String: Any])?["id"] as? Int } })
            #expect(ids == [Int(a), Int(b)])
            let stored = try await call(port, .post, "/ai/feedback", token: token, json: [
                "answer_type": "duplicate", "verdict": "not_duplicate", "items": [["type": "work_item", "id": b], ["type": "work_item", "id": a]],
                "comment": "different reports",
            ])
            #expect(stored.status == 201, "\(stored.text)")
            let after = try #require(try await call(port, "/ai/duplicates?project=DUP&threshold=0.7", token: token).json as? [String: Any])
            #expect((after["pairs"] as? [Any])?.isEmpty == true)

            let query = "monthly report export"
            let first = try #require((try await call(port, "/ai/search?q=\(query.queryEncoded)", token: token).json as? [String: Any])?["results"] as? [[String: Any]])
            let top = try #require(first.first?["id"] as? Int)
            #expect(try await call(port, .post, "/ai/feedback", token: token, json: [
                "answer_type": "search", "verdict": "wrong", "query": query, "items": [["type": "work_item", "id": top]],
            ]).status == 201)
            let again = try #require((try await call(port, "/ai/search?q=\(query.queryEncoded)", token: token).json as? [String: Any])?["results"] as? [[String: Any]])
            #expect(!again.contains { $0["id"] as? Int == top && $0["type"] as? String == "work_item" })
            #expect(try await call(port, .post, "/ai/feedback", token: token, json: ["answer_type": "bogus", "verdict": "x"]).status == 400)
            #expect(try await call(port, .post, "/ai/feedback", token: token, json: ["answer_type": "duplicate", "verdict": "not_duplicate"]).status == 400)
            let memory = try await h.database.client(clientID).query(
                "SELECT error_type, user_feedback FROM ai_learning_memory WHERE client_id = $1 ORDER BY id", [clientID])
            #expect(try memory[0].decode(String.self, at: 0) == "duplicate:not_duplicate")
            #expect(try memory[0].decode(String?.self, at: 1) == "different reports")
        }
    }
}
