import Foundation
import PulseETL
import PulsePostgres
import PulseSandbox
import PulseSecurity
import PulseService
import PulseTestSupport
import Testing

/// The job runner driving the real GitHub connector against the built-in sandbox: a full
/// then an incremental sync leave what a clean full sync leaves, and a `pulse-etl` killed
/// with SIGKILL mid-sync and restarted ends with the same rows as a clean run.
@Suite("ETL jobs with the GitHub sandbox", .serialized, .timeLimit(.minutes(6)))
struct JobGitHubSandboxTests {
    static let tables = ["repositories", "commits", "commit_parents", "prs", "prs_reviews", "prs_commits", "prs_comments",
                         "commit_pull_requests", "deployments", "deployment_statuses", "releases", "workflow_runs"]

    /// Row counts per table and id-free checksums of the commit graph and deployments.
    static func fingerprint(_ h: JobTestHarness, client: Int) async throws -> [String: String] {
        var result: [String: String] = [:]
        for table in tables {
            result[table] = String(try await h.database.query("SELECT count(*) FROM \(table)", [], clientID: client)[0].decode(Int.self, at: 0))
        }
        let sums = try await h.database.query(
            """
            SELECT (SELECT md5(COALESCE(string_agg(sha, ',' ORDER BY sha), '')) FROM commits),
                   (SELECT md5(COALESCE(string_agg(external_id || ':' || status || ':' || COALESCE(finished_at::text, '-'), ',' ORDER BY external_id), ''))
                    FROM deployments)
            """, [], clientID: client)[0]
        result["commits_md5"] = try sums.decode(String.self, at: 0)
        result["deployments_md5"] = try sums.decode(String.self, at: 1)
        return result
    }

    static func githubIntegration(_ h: JobTestHarness, client: Int, port: Int) async throws -> Int {
        try await h.createIntegration(clientID: client, provider: "github", baseURL: "http://127.0.0.1:\(port)",
                                      settings: #"{"organization": "acme-pay"}"#, credentials: #"{"token": "ghp_client_\#(client)"}"#)
    }

    @Test func fullThenIncrementalEqualsACleanFullSync() async throws {
        let h = try await JobTestHarness.make()
        let sandbox = SandboxServer(configuration: SandboxConfiguration(seed: 11, scale: .test))
        let port = try sandbox.start()
        let first = try await h.createClient(), clean = try await h.createClient()
        let integration = try await Self.githubIntegration(h, client: first.id, port: port)
        let worker = try h.worker(.standard, owner: "gh-worker", client: first)
        let full = try await h.enqueue(first.id, integration, mode: .full)
        try await h.drain(worker, seconds: 120) {
            let status = try await h.job(first.id, full).status
            return status != "queued" && status != "running"
        }
        let fullState = try await h.job(first.id, full)
        #expect(fullState.status == "succeeded", "\(fullState.error ?? "")")
        let organisation = sandbox.organisation
        let afterFull = try await Self.fingerprint(h, client: first.id)
        #expect(afterFull["repositories"] == String(organisation.repositories.count))
        #expect(afterFull["prs"] == String(organisation.repositories.map(\.pulls.count).reduce(0, +)))
        #expect(afterFull["deployments"] == String(organisation.repositories.map(\.deployments.count).reduce(0, +)))
        #expect(fullState.items > 0 && fullState.pages > 0)

        let incremental = try await h.enqueue(first.id, integration, mode: .incremental)
        try await h.drain(worker, seconds: 120) { try await h.job(first.id, incremental).status == "succeeded" }
        #expect(try await Self.fingerprint(h, client: first.id) == afterFull)

        let cleanIntegration = try await Self.githubIntegration(h, client: clean.id, port: port)
        let cleanWorker = try h.worker(.standard, owner: "gh-clean", client: clean)
        let cleanJob = try await h.enqueue(clean.id, cleanIntegration, mode: .full)
        try await h.drain(cleanWorker, seconds: 120) { try await h.job(clean.id, cleanJob).status == "succeeded" }
        #expect(try await Self.fingerprint(h, client: clean.id) == afterFull)
        await sandbox.shutdown()
        await h.shutdown()
    }

    @Test func killedPulseETLResumesTheGitHubSyncToTheSameRowsAsACleanRun() async throws {
        let h = try await JobTestHarness.make(dedicatedCluster: true)
        // Slow answers so the sync is still running when the process is killed.
        let sandbox = SandboxServer(configuration: SandboxConfiguration(seed: 12, scale: .test, faults: .init(latencyMilliseconds: 25)))
        let port = try sandbox.start()
        let killed = try await h.createClient(), clean = try await h.createClient()
        let integration = try await Self.githubIntegration(h, client: killed.id, port: port)
        let job = try await h.enqueue(killed.id, integration, mode: .full)
        let first = try ServiceProcessTests.start(h, name: "gh-first", environment: ["CLIENT_NAME": killed.slug])
        try await ServiceProcessTests.waitFor(90, "some committed pages") { try await h.job(killed.id, job).pages >= 4 }
        await ServiceProcessTests.stop(first)  // kill -9
        let atKill = try await h.job(killed.id, job)
        #expect(atKill.status == "running")
        let second = try ServiceProcessTests.start(h, name: "gh-second", environment: ["CLIENT_NAME": killed.slug])
        try await ServiceProcessTests.waitFor(180, "the resumed job to end") {
            let status = try await h.job(killed.id, job).status
            return status == "succeeded" || status == "failed"
        }
        await ServiceProcessTests.stop(second)
        let resumed = try await h.job(killed.id, job)
        #expect(resumed.status == "succeeded", "\(resumed.error ?? "")")
        #expect(resumed.pages > atKill.pages)

        let cleanIntegration = try await Self.githubIntegration(h, client: clean.id, port: port)
        let cleanJob = try await h.enqueue(clean.id, cleanIntegration, mode: .full)
        try await h.drain(try h.worker(.standard, owner: "gh-clean", client: clean), seconds: 180) {
            try await h.job(clean.id, cleanJob).status == "succeeded"
        }
        let expected = try await Self.fingerprint(h, client: clean.id)
        #expect(try await Self.fingerprint(h, client: killed.id) == expected)
        #expect(expected["prs"] == String(sandbox.organisation.repositories.map(\.pulls.count).reduce(0, +)))
        await sandbox.shutdown()
        await h.shutdown()
    }
}
