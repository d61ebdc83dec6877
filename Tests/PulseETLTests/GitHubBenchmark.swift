import Foundation
import PulseETL
import PulseHTTPClient
import PulsePostgres
import PulseSandbox
import Synchronization
import Testing

/// `bench/etl/run.sh`: a full GitHub sync against the sandbox at a chosen scale, then an
/// incremental one after 1 % of the data changed; prints wall time, rows/s, requests/s,
/// requests per stored item and RSS. Runs only with PULSE_BENCH_ETL=1.
@Suite struct GitHubBenchmark {
    static let environment = ProcessInfo.processInfo.environment

    static func rss() -> (current: Int, peak: Int) {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Int {
            status.split(separator: "\n").first { $0.hasPrefix(name) }
                .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") } ?? 0
        }
        return (field("VmRSS:") / 1024, field("VmHWM:") / 1024)
    }

    static func rows(_ database: PostgresDatabase, _ clientID: Int) async throws -> [String: Int] {
        var result: [String: Int] = [:]
        for table in ["repositories", "prs", "prs_reviews", "prs_comments", "prs_commits", "commits", "commit_parents",
                      "commit_pull_requests", "deployments", "deployment_statuses", "releases", "workflow_runs"] {
            result[table] = try await GitHubHarness.count(database, clientID: clientID, "SELECT count(*) FROM \(table)")
        }
        return result
    }

    @Test(.enabled(if: environment["PULSE_BENCH_ETL"] == "1"))
    func fullAndIncrementalSyncAgainstTheSandbox() async throws {
        let repositories = Int(Self.environment["REPOS"] ?? "") ?? 10
        let pulls = Int(Self.environment["PRS_PER_REPO"] ?? "") ?? 100
        let commits = Int(Self.environment["COMMITS_PER_REPO"] ?? "") ?? 400
        let concurrency = Int(Self.environment["CONCURRENCY"] ?? "") ?? 4
        let scale = SandboxConfiguration.Scale(repositories: repositories, pullRequestsPerRepository: pulls,
                                               commitsPerRepository: commits, jiraProjects: 1, issuesPerProject: 1)
        let database = try await GitHubHarness.database()
        // GitHub allows 5,000 requests an hour per token; the benchmark measures throughput, not waiting.
        let sandbox = SandboxServer(configuration: SandboxConfiguration(seed: 99, scale: scale, rateLimit: .init(limit: 10_000_000)))
        let port = try sandbox.start()
        let http = try HTTPClient()
        defer { http.shutdown() }
        let base = "http://127.0.0.1:\(port)"
        let (integration, job) = try await GitHubHarness.integration(
            database, baseURL: base, settings: #"{"organization": "acme-pay", "concurrency": \#(concurrency)}"#)
        let before = Self.rss()
        print("github-bench: scale \(repositories) repos x \(pulls) PRs x \(commits) commits, concurrency \(concurrency); RSS before \(before.current) MB (sandbox data included)")

        // RSS sampled while syncing, to see whether it grows with the data.
        let samples = Mutex<[Int]>([])
        let sampler = Task {
            while !Task.isCancelled {
                let now = Self.rss().current
                samples.withLock { $0.append(now) }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        var previousRows = 0
        var previousItems = 0
        for (mode, label) in [(SyncMode.full, "full"), (.incremental, "incremental after 1% changed")] {
            if mode == .incremental { sandbox.mutate(fraction: 0.01) }
            sandbox.clearRequests()
            let started = ContinuousClock.now
            let recorder = try await GitHubHarness.sync(database, integration, jobID: job, mode: mode, http: http,
                                                        clock: SystemGitHubClock(), pageSize: 100)
            let elapsed = (ContinuousClock.now - started).components
            let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
            let requests = sandbox.requests.count
            let rows = try await Self.rows(database, integration.clientID)
            let total = rows.values.reduce(0, +)
            let items = try await database.client(integration.clientID).read { tx in
                try await tx.query("SELECT items_processed FROM etl_job_runs WHERE id = $1", [job])[0].decode(Int.self, at: 0)
            }
            let written = items - previousItems
            print(String(format: "github-bench: %@: %.1f s wall, %d requests (%.0f/s), %d rows in the tables (+%d), %.0f rows/s, %d items written (%.0f/s), %.2f requests per stored row, skipped %d, rate-limit waits %d",
                         label, seconds, requests, Double(requests) / seconds, total, total - previousRows,
                         Double(mode == .full ? total : written) / seconds, written, Double(written) / seconds,
                         Double(requests) / Double(max(1, mode == .full ? total : written)), recorder.skipped.count, recorder.waits.count))
            print("github-bench: rows \(rows.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
            previousRows = total
            previousItems = items
        }
        sampler.cancel()
        let rss = Self.rss()
        let series = samples.withLock { $0 }
        print("github-bench: RSS during the runs min \(series.min() ?? 0) MB, max \(series.max() ?? 0) MB, peak (VmHWM) \(rss.peak) MB; samples every 0.5 s: \(series.map(String.init).joined(separator: ","))")
        await sandbox.shutdown()
    }
}
