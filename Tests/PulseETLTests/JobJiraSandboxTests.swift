import Foundation
import PulseETL
import PulsePostgres
import PulseSandbox
import PulseTestSupport
import Testing

/// The job runner driving the real Jira connector against the sandbox's Jira half: a full then
/// an incremental job leave what a clean full job leaves, and what was served is stored.
@Suite("ETL jobs with the Jira sandbox", .serialized, .timeLimit(.minutes(4)))
struct JobJiraSandboxTests {
    static let settings = #"{"projects": ["PAY", "WEB"], "incident_repository_field": "customfield_10050", "incident_deployment_field": "customfield_10051"}"#
    static let tables = ["projects", "statuses", "wits", "work_items", "changelogs", "sprints", "sprint_work_items"]

    static func fingerprint(_ h: JobTestHarness, client: Int) async throws -> [String: String] {
        var result: [String: String] = [:]
        for table in tables {
            result[table] = String(try await h.database.query("SELECT count(*) FROM \(table)", [], clientID: client)[0].decode(Int.self, at: 0))
        }
        result["work_items_md5"] = try await h.database.query(
            "SELECT md5(COALESCE(string_agg(key || ':' || COALESCE(status_name, '-') || ':' || COALESCE(story_points::text, '-'), ',' ORDER BY key), '')) FROM work_items",
            [], clientID: client)[0].decode(String.self, at: 0)
        return result
    }

    static func jiraIntegration(_ h: JobTestHarness, client: Int, port: Int) async throws -> Int {
        try await h.createIntegration(clientID: client, provider: "jira", baseURL: "http://127.0.0.1:\(port)", settings: settings,
                                      credentials: #"{"email": "bot@example.com", "api_token": "token-\#(client)"}"#)
    }

    static func run(_ h: JobTestHarness, _ worker: JobWorker, client: Int, job: Int) async throws -> (status: String, items: Int, pages: Int, attempt: Int, error: String?, checkpoint: String) {
        try await h.drain(worker, seconds: 150) {
            let status = try await h.job(client, job).status
            return status == "succeeded" || status == "failed"
        }
        return try await h.job(client, job)
    }

    @Test func fullThenIncrementalEqualsACleanFullSync() async throws {
        let h = try await JobTestHarness.make()
        let sandbox = SandboxServer(configuration: SandboxConfiguration(seed: 21, scale: .test))
        let port = try sandbox.start()
        let first = try await h.createClient(), clean = try await h.createClient()
        let integration = try await Self.jiraIntegration(h, client: first.id, port: port)
        let worker = try h.worker(.standard, owner: "jira-worker", client: first)
        let full = try await Self.run(h, worker, client: first.id, job: try await h.enqueue(first.id, integration, mode: .full))
        #expect(full.status == "succeeded", "\(full.error ?? "")")
        #expect(full.items > 0 && full.pages > 0)
        let afterFull = try await Self.fingerprint(h, client: first.id)
        let served = sandbox.organisation.jira.issues.filter { ["PAY", "WEB"].contains($0.projectKey) }.count
        #expect(afterFull["work_items"] == String(served))

        let incremental = try await Self.run(h, worker, client: first.id, job: try await h.enqueue(first.id, integration, mode: .incremental))
        #expect(incremental.status == "succeeded", "\(incremental.error ?? "")")
        #expect(try await Self.fingerprint(h, client: first.id) == afterFull)

        let cleanIntegration = try await Self.jiraIntegration(h, client: clean.id, port: port)
        let cleanWorker = try h.worker(.standard, owner: "jira-clean", client: clean)
        let cleanJob = try await Self.run(h, cleanWorker, client: clean.id, job: try await h.enqueue(clean.id, cleanIntegration, mode: .full))
        #expect(cleanJob.status == "succeeded")
        #expect(try await Self.fingerprint(h, client: clean.id) == afterFull)

        // The GitHub half of the same sandbox in the same client: both providers through one worker.
        let github = try await h.createIntegration(clientID: first.id, provider: "github", baseURL: "http://127.0.0.1:\(port)",
                                                   settings: #"{"organization": "acme-pay"}"#, credentials: #"{"token": "ghp_jobs"}"#)
        let githubJob = try await Self.run(h, worker, client: first.id, job: try await h.enqueue(first.id, github, mode: .full))
        #expect(githubJob.status == "succeeded", "\(githubJob.error ?? "")")
        #expect(try await h.database.query("SELECT count(*) FROM repositories WHERE integration_id = $1", [github], clientID: first.id)[0]
            .decode(Int.self, at: 0) == sandbox.organisation.repositories.count)
        await sandbox.shutdown()
        await h.shutdown()
    }
}
