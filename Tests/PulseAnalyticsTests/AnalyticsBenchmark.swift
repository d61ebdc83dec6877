import Foundation
import PulseAnalytics
import PulsePostgres
import PulseTestSupport
import Testing

/// The analytics benchmark (bench/analytics/run.sh sets PULSE_ANALYTICS_BENCH=1): a generated
/// client, full and incremental recomputation, `GET /api/v1/dora` (90 days) and
/// `/api/v1/dora/repositories` at 8 concurrent requests, and the same figures by one SQL
/// query over the raw tables. Skipped in ordinary test runs.
@Suite("Analytics benchmark", .enabled(if: ProcessInfo.processInfo.environment["PULSE_ANALYTICS_BENCH"] == "1"))
struct AnalyticsBenchmark {
    static func percentile(_ values: [Double], _ p: Double) -> Double { percentileCont(p, values) ?? .nan }
    static func ms(_ d: Double) -> String { String(format: "%.1f ms", d * 1000) }

    @Test func benchmark() async throws {
        let env = ProcessInfo.processInfo.environment
        let scale = Double(env["PULSE_ANALYTICS_BENCH_SCALE"] ?? "1") ?? 1
        let requests = Int(env["PULSE_ANALYTICS_BENCH_REQUESTS"] ?? "200") ?? 200
        let h = try await AnalyticsHarness()
        let client = try await h.makeClient("bench")
        let repos = 100, commits = Int(2000 * scale), prs = Int(500 * scale), deploys = Int(200 * scale)
        let items = Int(100_000 * scale)
        var script = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("bench/analytics/generate.sql"), encoding: .utf8)
        for (name, value) in [("client", client), ("repos", repos), ("commits_per_repo", commits), ("prs_per_repo", prs),
                              ("deploys_per_repo", deploys), ("items", items), ("changes_per_item", 10)] {
            script = script.replacingOccurrences(of: ":\(name)", with: String(value))
        }
        let superuser = try await PostgresConnection.connect(h.handle.connection.superuserURL!)
        defer { superuser.close() }
        var clock = Date()
        for statement in script.components(separatedBy: ";\n") {
            let lines = statement.split(separator: "\n").filter { !$0.hasPrefix("--") && !$0.hasPrefix("\\") }
            let sql = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if !sql.isEmpty { _ = try await superuser.execute(sql) }
        }
        let generated = Date().timeIntervalSince(clock)
        // The incremental run looks again at rows changed up to 2 s before the previous run began.
        try await Task.sleep(for: .seconds(3))
        let counts = try await superuser.query(
            """
            SELECT (SELECT count(*) FROM repositories WHERE client_id = $1), (SELECT count(*) FROM commits WHERE client_id = $1),
                   (SELECT count(*) FROM prs WHERE client_id = $1), (SELECT count(*) FROM deployments WHERE client_id = $1),
                   (SELECT count(*) FROM changelogs WHERE client_id = $1)
            """, [client])
        let shape = try (0..<5).map { try counts[0].decode(Int.self, at: $0) }

        clock = Date()
        let full = try await h.recomputer.recompute(clientID: client, full: true)
        let fullSeconds = Date().timeIntervalSince(clock)
        // Incremental: a sync adds one commit and one deployment to one repository.
        let repo = try await superuser.query("SELECT id FROM repositories WHERE client_id = $1 ORDER BY id LIMIT 1", [client])[0].decode(Int.self, at: 0)
        let raw = RawFacts(scope: h.database.client(client))
        let head = try await superuser.query(
            "SELECT sha FROM commits WHERE client_id = $1 AND repository_id = $2 ORDER BY authored_at DESC LIMIT 1", [client, repo])[0]
            .decode(String.self, at: 0)
        try await h.database.client(client).write { tx in
            let sha = String(repeating: "ab", count: 20)
            try await tx.query("INSERT INTO commits (client_id, repository_id, sha, authored_at, on_default_branch) VALUES ($1, $2, $3, now(), TRUE)",
                               [client, repo, sha])
            try await tx.query("INSERT INTO commit_parents (client_id, repository_id, sha, parent_sha) VALUES ($1, $2, $3, $4)",
                               [client, repo, sha, head])
            try await tx.query(
                """
                INSERT INTO deployments (client_id, repository_id, source, external_id, environment, sha, status, finished_at, source_created_at)
                VALUES ($1, $2, 'github_deployment', 'incr', 'production', $3, 'success', now(), now())
                """, [client, repo, sha])
        }
        _ = raw
        clock = Date()
        let incremental = try await h.recomputer.recompute(clientID: client, full: false)
        let incrementalSeconds = Date().timeIntervalSince(clock)

        let today = Date()
        let from = JSONDocDay.day(today.addingTimeInterval(-89 * 86400)), to = JSONDocDay.day(today)
        let token = try h.token(client: client)
        let (doraP50, doraP99, reposP50, reposP99, check) = try await h.serve { port -> (Double, Double, Double, Double, Int) in
            _ = try await AnalyticsHarness.eventually(60) { (try await AnalyticsHarness.get(port, "/api/v1/dora?from=\(from)&to=\(to)", token).1["computed_at"]) is String }
            func load(_ path: String, count: Int) async throws -> [Double] {
                try await withThrowingTaskGroup(of: [Double].self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            let http = try HTTPTestClient(port: port, timeout: .seconds(30))
                            var times: [Double] = []
                            for _ in 0..<(count / 8) {
                                let start = Date()
                                let response = try await http.request("GET", path, headers: token, timeout: .seconds(30))
                                precondition(response.status == 200, response.bodyText)
                                times.append(Date().timeIntervalSince(start))
                            }
                            return times
                        }
                    }
                    var all: [Double] = []
                    for try await part in group { all += part }
                    return all
                }
            }
            var serial: [Double] = []
            let http = try HTTPTestClient(port: port, timeout: .seconds(30))
            for _ in 0..<10 {
                let start = Date()
                _ = try await http.request("GET", "/api/v1/dora?from=\(from)&to=\(to)", headers: token, timeout: .seconds(30))
                serial.append(Date().timeIntervalSince(start))
            }
            print("BENCH serial dora_90d p50=\(Self.ms(Self.percentile(serial, 0.5))) min=\(Self.ms(serial.min() ?? 0))")
            let dora = try await load("/api/v1/dora?from=\(from)&to=\(to)", count: requests)
            let repositories = try await load("/api/v1/dora/repositories?from=\(from)&to=\(to)", count: max(8, requests / 4))
            let answer = try await AnalyticsHarness.get(port, "/api/v1/dora?from=\(from)&to=\(to)", token).1
            return (Self.percentile(dora, 0.5), Self.percentile(dora, 0.99), Self.percentile(repositories, 0.5),
                    Self.percentile(repositories, 0.99), answer["deployments"] as? Int ?? -1)
        }
        // The Grafana-on-SQL way: one query over the raw tables (deployments whose sha is a PR's
        // merge commit; no graph, no first-deployment rule, no failures from incidents).
        var sqlTimes: [Double] = []
        for _ in 0..<10 {
            let start = Date()
            _ = try await h.database.read(.analytics, clientID: client) { tx in
                try await tx.query(
                    """
                    WITH d AS (SELECT id, repository_id, sha, finished_at FROM deployments
                               WHERE client_id = $1 AND status = 'success' AND environment ~* '^(prod|production)$'
                                 AND finished_at >= $2::date AND finished_at < $3::date + 1)
                    SELECT count(DISTINCT d.id), count(DISTINCT d.finished_at::date),
                           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.finished_at - pc.first_at)),
                           percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM d.finished_at - pc.first_at))
                    FROM d LEFT JOIN prs p ON p.client_id = $1 AND p.repository_id = d.repository_id AND p.merge_commit_sha = d.sha
                    LEFT JOIN LATERAL (SELECT min(authored_at) AS first_at FROM prs_commits WHERE client_id = $1 AND pr_id = p.id) pc ON TRUE
                    """, [client, from, to])
            }
            sqlTimes.append(Date().timeIntervalSince(start))
        }
        let line = """
            BENCH scale=\(scale) shape repos=\(shape[0]) commits=\(shape[1]) prs=\(shape[2]) deployments=\(shape[3]) changelogs=\(shape[4]) \
            generate=\(String(format: "%.1f s", generated)) full_recompute=\(String(format: "%.2f s", fullSeconds)) (\(full.repositories) repos, \
            \(full.deployments) production deployments) incremental_recompute=\(String(format: "%.3f s", incrementalSeconds)) \
            (\(incremental.repositories) repos) dora_90d p50=\(Self.ms(doraP50)) p99=\(Self.ms(doraP99)) (deployments=\(check), \
            \(requests) requests, 8 concurrent) repositories_90d p50=\(Self.ms(reposP50)) p99=\(Self.ms(reposP99)) \
            one_sql_raw p50=\(Self.ms(Self.percentile(sqlTimes, 0.5))) p99=\(Self.ms(Self.percentile(sqlTimes, 0.99)))
            """
        print(line)
        #expect(check > 0)
    }
}

/// YYYY-MM-DD of a date (UTC), for the benchmark's query strings.
enum JSONDocDay {
    static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }
}
