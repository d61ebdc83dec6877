import Foundation
import PulseAnalytics
import PulsePostgres
import PulseTestSupport
import Testing

@Suite("Analytics API over PostgreSQL: derivation, contract, bad input, permissions, tenants", .serialized)
struct AnalyticsAPITests {
    /// Client A: acme/pay with D1 (first ever), D2 (ships PR #7), a staging deploy, D4 (rollback to
    /// D1's sha) and a Jira incident one hour after D2; acme/web without data.
    static func seedA(_ h: AnalyticsHarness) async throws -> (client: Int, d2: Int64, d4: Int64) {
        let client = try await h.makeClient("dora-a")
        let raw = RawFacts(scope: h.database.client(client))
        let pay = try await raw.repository("acme/pay")
        _ = try await raw.repository("acme/web")
        try await raw.commit(pay, 1, parents: [], at: 0)
        try await raw.commit(pay, 2, parents: [1], at: 6)
        try await raw.commit(pay, 3, parents: [2], at: 7)
        try await raw.squashPR(pay, number: 7, commitAuthoredAt: 5, merge: 2, mergedAt: 6)
        try await raw.deployment(pay, 1, at: 4)
        let d2 = try await raw.deployment(pay, 2, at: 10)
        try await raw.deployment(pay, 3, environment: "staging", at: 11)
        try await raw.deployment(pay, 2, environment: "production", at: 11.5, state: "failure")
        let d4 = try await raw.deployment(pay, 1, at: 12)
        try await raw.jiraIncident(key: "PAY-1", repository: "acme/pay", at: 11, resolved: 20)
        return (client, d2, d4)
    }

    static func seedB(_ h: AnalyticsHarness) async throws -> Int {
        let client = try await h.makeClient("dora-b")
        let raw = RawFacts(scope: h.database.client(client))
        let repo = try await raw.repository("other/repo")
        try await raw.commit(repo, 500, parents: [], at: 0)
        try await raw.deployment(repo, 500, at: 30)
        return client
    }

    static let week = "from=2026-01-05&to=2026-01-11"

    @Test func derivesFactsAndAnswersTheContract() async throws {
        let h = try await AnalyticsHarness()
        let (a, d2, d4) = try await Self.seedA(h)
        let b = try await Self.seedB(h)
        try await h.recomputer.recompute(clientID: a, full: true)
        try await h.recomputer.recompute(clientID: b, full: true)
        let tokenA = try h.token(client: a), tokenB = try h.token(client: b)
        try await h.serve { port in
            var answer: [String: Any] = [:]
            #expect(try await AnalyticsHarness.eventually {
                let (status, body) = try await AnalyticsHarness.get(port, "/api/v1/dora?\(Self.week)&benchmark_years=2023,2024", tokenA)
                answer = body
                return status == 200 && body["deployments"] as? Int == 3 && body["computed_at"] is String
            })
            #expect(answer["deployments_per_day"] as? Double == 3.0 / 7.0)
            #expect(answer["deployment_days"] as? Int == 1 && answer["median_deployment_days_per_week"] as? Double == 1)
            #expect(answer["lead_time_changes"] as? Int == 1)
            let lead = try #require(answer["lead_time_seconds"] as? [String: Any])
            #expect(lead["median"] as? Double == 18000 && lead["p90"] as? Double == 18000)
            #expect(answer["failed_deployments"] as? Int == 1 && answer["change_failure_rate"] as? Double == 1.0 / 3.0)
            let recovery = try #require(answer["recovery_time_seconds"] as? [String: Any])
            #expect(recovery["count"] as? Int == 1 && recovery["median"] as? Double == 7200)
            #expect(answer["rework_deployments"] as? Int == 1 && answer["deployment_rework_rate"] as? Double == 1.0 / 3.0)
            let tiers = try #require(answer["tiers"] as? [String: [String: Any]])
            #expect(tiers["2023"]?["deployment_frequency"] as? String == "high" && tiers["2023"]?["lead_time"] as? String == "elite")
            #expect(tiers["2023"]?["change_failure_rate"] as? String == "low")
            #expect(tiers["2023"]?["failed_deployment_recovery_time"] as? String == "high")
            #expect(tiers["2024"]?["change_failure_rate"] as? String == "low")
            #expect(answer["recomputing"] as? Bool == false)
            let previous = try #require(answer["previous_period"] as? [String: Any])
            #expect(previous["deployments"] as? Int == 0 && previous["from"] as? String == "2025-12-29")
            #expect((previous["lead_time_seconds"] as? [String: Any])?["median"] is NSNull)
            #expect((answer["trend"] as? [[String: Any]])?.count == 1)

            // Per repository: every repository of the client, none of another client's.
            let (_, repos) = try await AnalyticsHarness.get(port, "/api/v1/dora/repositories?\(Self.week)", tokenA)
            let map = try #require(repos["repositories"] as? [String: [String: Any]])
            #expect(Set(map.keys) == ["acme/pay", "acme/web"])
            #expect(map["acme/web"]?["deployments"] as? Int == 0 && map["acme/web"]?["change_failure_rate"] is NSNull)
            #expect(map["acme/pay"]?["failed_deployments"] as? Int == 1 && repos["computed_at"] is String)
            let (_, one) = try await AnalyticsHarness.get(port, "/api/v1/dora?\(Self.week)&repository=acme/web", tokenA)
            #expect(one["deployments"] as? Int == 0)

            // Drill-down with pagination.
            let (_, page1) = try await AnalyticsHarness.get(port, "/api/v1/dora/deployments?\(Self.week)&limit=2", tokenA)
            let first = try #require(page1["deployments"] as? [[String: Any]])
            #expect(first.map { $0["id"] as? Int64 } == [d4, d2])
            #expect(first[1]["failed"] as? Bool == true && first[1]["failure_reason"] as? String == "incident_window")
            #expect(first[1]["restored_by_deployment_id"] as? Int64 == d4 && first[0]["rework"] as? Bool == true)
            let changes = try #require(first[1]["changes"] as? [[String: Any]])
            #expect(changes.count == 1 && changes[0]["pr_number"] as? Int == 7 && changes[0]["lead_time_seconds"] as? Double == 18000)
            let cursor = try #require(page1["next_cursor"] as? String)
            let (_, page2) = try await AnalyticsHarness.get(port, "/api/v1/dora/deployments?\(Self.week)&limit=2&cursor=\(cursor)", tokenA)
            let second = try #require(page2["deployments"] as? [[String: Any]])
            #expect(second.count == 1 && second[0]["first_ever"] as? Bool == true && page2["next_cursor"] is NSNull)
            let (_, incidents) = try await AnalyticsHarness.get(port, "/api/v1/dora/incidents?\(Self.week)", tokenA)
            let list = try #require(incidents["incidents"] as? [[String: Any]])
            #expect(list.count == 1 && list[0]["external_id"] as? String == "PAY-1" && list[0]["deployment_id"] as? Int64 == d2)
            #expect(list[0]["rule"] as? String == "time_window" && list[0]["resolved_at"] is String)

            // Tenant isolation: B sees only its own rows on every endpoint.
            let (_, bDora) = try await AnalyticsHarness.get(port, "/api/v1/dora?from=2026-01-05&to=2026-01-11", tokenB)
            #expect(bDora["deployments"] as? Int == 1 && bDora["failed_deployments"] as? Int == 0)
            let (_, bRepos) = try await AnalyticsHarness.get(port, "/api/v1/dora/repositories?\(Self.week)", tokenB)
            #expect(Set((bRepos["repositories"] as? [String: Any])?.keys.map { $0 } ?? []) == ["other/repo"])
            let (_, bDeployments) = try await AnalyticsHarness.get(port, "/api/v1/dora/deployments?\(Self.week)", tokenB)
            #expect((bDeployments["deployments"] as? [[String: Any]])?.count == 1)
            let (_, bIncidents) = try await AnalyticsHarness.get(port, "/api/v1/dora/incidents?\(Self.week)", tokenB)
            #expect((bIncidents["incidents"] as? [[String: Any]])?.isEmpty == true)
            let (status, problem) = try await AnalyticsHarness.get(port, "/api/v1/dora?\(Self.week)&repository=acme/pay", tokenB)
            #expect(status == 400 && (problem["detail"] as? String)?.hasPrefix("repository:") == true)
            let (_, bPRs) = try await AnalyticsHarness.get(port, "/api/v1/analytics/pull-requests?\(Self.week)", tokenB)
            #expect((bPRs["overall"] as? [String: Any])?["merged_prs"] as? Int == 0)
            let (_, aPRs) = try await AnalyticsHarness.get(port, "/api/v1/analytics/pull-requests?\(Self.week)", tokenA)
            let overall = try #require(aPRs["overall"] as? [String: Any])
            #expect(overall["merged_prs"] as? Int == 1)
            let cycle = try #require(overall["cycle_time_seconds"] as? [String: [String: Any]])
            #expect(cycle["coding"]?["median"] as? Double == 1800 && cycle["pickup"]?["median"] as? Double == 1800)
            #expect(cycle["review"]?["median"] as? Double == 0 && cycle["deploy"]?["median"] as? Double == 14400)
            #expect((overall["pr_size_lines"] as? [String: Any])?["median"] as? Double == 15)
        }
    }

    @Test func badInputAndPermissionsAreProblemsNamingTheParameter() async throws {
        let h = try await AnalyticsHarness()
        let client = try await h.makeClient("dora-bad")
        let token = try h.token(client: client)
        try await h.serve { port in
            let cases: [(String, String)] = [
                ("/api/v1/dora?from=2026-02-01&to=2026-01-01", "from"),
                ("/api/v1/dora?from=2026-01-01&to=2026-13-01", "to"),
                ("/api/v1/dora?from=jan&to=2026-01-01", "from"),
                ("/api/v1/dora?to=2026-01-01", "from"),
                ("/api/v1/dora?from=2019-01-01&to=2025-01-01", "to"),
                ("/api/v1/dora?from=2026-01-01&to=2026-01-31&repository=nobody/nothing", "repository"),
                ("/api/v1/dora?from=2026-01-01&to=2026-01-31&project=NOPE", "project"),
                ("/api/v1/dora?from=2026-01-01&to=2026-01-31&team=core", "team"),
                ("/api/v1/dora?from=2026-01-01&to=2026-01-31&benchmark_years=2022", "benchmark_years"),
                ("/api/v1/dora/repositories?from=2026-01-01", "to"),
                ("/api/v1/dora/deployments?from=2026-01-01&to=2026-01-31&cursor=xyz", "cursor"),
                ("/api/v1/dora/incidents?from=2026-01-01&to=2026-01-31&limit=0", "limit"),
                ("/api/v1/analytics/portfolio?from=2026-01-01&to=2026-01-31&project=NOPE", "project"),
            ]
            for (path, parameter) in cases {
                let client = try HTTPTestClient(port: port)
                let response = try await client.request("GET", path, headers: token)
                #expect(response.status == 400, "\(path)")
                #expect(response.header("Content-Type") == "application/problem+json", "\(path)")
                #expect(response.bodyText.contains("\"detail\":\"\(parameter):"), "\(path): \(response.bodyText)")
            }
            // Permissions: analytics:read for reads, settings:write for the PUT.
            let readOnly = try h.token(client: client, permissions: ["analytics:read"])
            let none = try h.token(client: client, permissions: ["etl:read"])
            #expect(try await AnalyticsHarness.get(port, "/api/v1/dora?from=2026-01-01&to=2026-01-31", none).0 == 403)
            #expect(try await AnalyticsHarness.get(port, "/api/v1/dora?from=2026-01-01&to=2026-01-31", []).0 == 401)
            #expect(try await AnalyticsHarness.put(port, "/api/v1/settings/dora", readOnly, "{\"failure_window_hours\": 24}").0 == 403)
            // Invalid settings change nothing.
            for (body, parameter) in [("{\"production_environment_pattern\": \"(a+)+\"}", "production_environment_pattern"),
                                      ("{\"production_environment_pattern\": \"[prod\"}", "production_environment_pattern"),
                                      ("{\"failure_window_hours\": -1}", "failure_window_hours"),
                                      ("{\"benchmark_year\": 2022}", "benchmark_year"),
                                      ("{\"hotfix_labels\": \"hotfix\"}", "hotfix_labels"),
                                      ("{\"deploy_workflows\": {\"norepo\": \"x.yml\"}}", "deploy_workflows"),
                                      ("{\"colour\": \"blue\"}", "colour")] {
                let (status, problem) = try await AnalyticsHarness.put(port, "/api/v1/settings/dora", token, body)
                #expect(status == 400 && (problem["detail"] as? String)?.hasPrefix("\(parameter):") == true, "\(body)")
            }
            let (_, stored) = try await AnalyticsHarness.get(port, "/api/v1/settings/dora", token)
            #expect(stored["production_environment_pattern"] as? String == "prod|production" && stored["failure_window_hours"] as? Double == 48)
        }
    }

    @Test func aSettingsChangeAndAFinishedSyncRecompute() async throws {
        let h = try await AnalyticsHarness()
        let (a, _, _) = try await Self.seedA(h)
        try await h.recomputer.recompute(clientID: a, full: true)
        let token = try h.token(client: a)
        try await h.serve { port in
            let body = """
                {"production_environment_pattern": "prod|production|staging", "failure_window_hours": 48, "hotfix_labels": ["hotfix"],
                 "revert_labels": ["revert"], "benchmark_year": 2024, "deploy_workflows": {"acme/pay": ".github/workflows/deploy.yml"}}
                """
            let (status, stored) = try await AnalyticsHarness.put(port, "/api/v1/settings/dora", token, body)
            #expect(status == 200 && stored["benchmark_year"] as? Int == 2024)
            #expect((stored["deploy_workflows"] as? [String: String])?["acme/pay"] == ".github/workflows/deploy.yml")
            // The staging deployment now counts and rolls back... D4 (sha 1) follows it: 2 of 4 failed.
            #expect(try await AnalyticsHarness.eventually {
                let (_, answer) = try await AnalyticsHarness.get(port, "/api/v1/dora?\(Self.week)", token)
                return answer["deployments"] as? Int == 4 && answer["failed_deployments"] as? Int == 2
                    && (answer["tiers"] as? [String: Any])?["2024"] != nil && answer["recomputing"] as? Bool == false
            })
        }
        // A finished sync: LISTEN pulse_sync_finished recomputes the touched repository.
        let listener = h.recomputer.listen(conninfo: h.handle.connection.primaryURL)
        defer { listener.cancel() }
        let raw = RawFacts(scope: h.database.client(a))
        let web = try await h.database.client(a).query("SELECT id FROM repositories WHERE client_id = $1 AND full_name = 'acme/web'", [a])[0]
            .decode(Int.self, at: 0)
        try await raw.commit(web, 900, parents: [], at: 1)
        try await raw.deployment(web, 900, at: 30)
        let payload = "{\"client_id\": \(a), \"integration_id\": 1, \"job_id\": 9, \"provider\": \"github\"}"
        #expect(try await AnalyticsHarness.eventually {
            try await h.database.query("SELECT pg_notify('pulse_sync_finished', $1)", [payload])
            let rows = try await h.database.client(a).query("SELECT count(*) FROM dora_deployments WHERE client_id = $1", [a])
            return try rows[0].decode(Int.self, at: 0) == 5
        })
    }

    @Test func theSeededBenchmarksAreTheCatalogAndReadsGoToTheReplica() async throws {
        let h = try await AnalyticsHarness()
        let bands = try await h.database.read(.analytics) { tx in try await DORAReadModel.benchmarks(tx) }
        let seeded = bands.filter { [2019, 2021, 2023, 2024].contains($0.year) }
        #expect(seeded.count == BenchmarkCatalog.published.count)
        for band in BenchmarkCatalog.published {
            let row = try #require(seeded.first { $0.year == band.year && $0.metric == band.metric && $0.tier == band.tier })
            #expect(row.source == band.source && row.label == band.label)
            #expect(abs((row.lowerBound ?? -1) - (band.lowerBound ?? -1)) < 1e-12 && abs((row.upperBound ?? -1) - (band.upperBound ?? -1)) < 1e-12)
        }
        #expect(try await AnalyticsHarness.eventually { h.database.analyticsTarget() == "replica" })
        let server = try await h.database.read(.analytics) { tx in try await tx.query("SELECT pg_is_in_recovery()")[0].decode(Bool.self, at: 0) }
        #expect(server)
    }
}
