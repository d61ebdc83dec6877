import Foundation
import Logging
import PulseETL
import PulseHTTP
import PulseHTTPClient
import PulsePostgres
import PulseTestSupport
import Synchronization

/// A real database (the shared test cluster, migrated), a client and a GitHub integration
/// per test, and a minimal `SyncContext`: each page commits its rows and the checkpoint into
/// an `etl_job_runs` row in one transaction (the job runner proper is etl-jobs').
enum GitHubHarness {
    static func database() async throws -> PostgresDatabase {
        let handle = try await PostgresTestCluster.shared.start()
        return try PostgresDatabase(configuration: PostgresConfiguration(primary: handle.connection.primaryURL))
    }

    static func makeClient(_ prefix: String) async throws -> Int {
        let handle = try await PostgresTestCluster.shared.start()
        let owner = try await PostgresConnection.connect(handle.connection.ownerURL)
        defer { owner.close() }
        let slug = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        let rows = try await owner.query("INSERT INTO clients (name, slug) VALUES ($1, $2) RETURNING id", [slug.uppercased(), slug])
        return try rows[0].decode(Int.self, at: 0)
    }

    /// A client with a GitHub integration pointing at `baseURL`, and a job row for the checkpoint.
    static func integration(_ database: PostgresDatabase, baseURL: String, settings: String = #"{"organization": "acme-pay"}"#,
                            token: String = "ghp_test") async throws -> (SyncIntegration, jobID: Int64) {
        let clientID = try await makeClient("gh")
        let scope = database.client(clientID)
        let id = try await scope.write { tx in
            try await tx.query(
                "INSERT INTO integrations (client_id, provider, name, base_url, settings) VALUES ($1, 'github', 'gh', $2, $3::jsonb) RETURNING id",
                [clientID, baseURL, settings])[0].decode(Int.self, at: 0)
        }
        let jobID = try await scope.write { tx in
            try await tx.query(
                "INSERT INTO etl_job_runs (client_id, integration_id, job, status) VALUES ($1, $2, 'github-sync', 'queued') RETURNING id",
                [clientID, id])[0].decode(Int64.self, at: 0)
        }
        let integration = SyncIntegration(
            id: id, clientID: clientID, provider: "github", name: "gh", baseURL: baseURL, settingsJSON: settings,
            credentialsJSON: #"{"token": "\#(token)"}"#)
        return (integration, jobID)
    }

    /// Progress events and commits of one run.
    final class Recorder: Sendable {
        let events = Mutex<[SyncProgressEvent]>([])
        let commits = Mutex(0)
        var skipped: [String] {
            events.withLock { $0.compactMap { if case .skippedItem(let reason) = $0.kind { return reason } else { return nil } } }
        }
        var waits: [Double] {
            events.withLock { $0.compactMap { if case .rateLimitWait(let seconds, _) = $0.kind { return seconds } else { return nil } } }
        }
        var retries: Int {
            events.withLock { $0.filter { if case .retry = $0.kind { return true } else { return false } }.count }
        }
    }

    static func checkpoint(_ database: PostgresDatabase, _ integration: SyncIntegration, jobID: Int64) async throws -> String {
        try await database.client(integration.clientID).read { tx in
            try await tx.query("SELECT checkpoint::text FROM etl_job_runs WHERE id = $1", [jobID])[0].decode(String.self, at: 0)
        }
    }

    /// A context over the database; `interruptAfter` pauses the run after that many commits.
    static func context(_ database: PostgresDatabase, _ integration: SyncIntegration, jobID: Int64, mode: SyncMode,
                        checkpoint: String = "{}", recorder: Recorder, interruptAfter: Int? = nil) -> SyncContext {
        let scope = database.client(integration.clientID)
        return SyncContext(
            integration: integration, mode: mode, checkpoint: checkpoint, database: scope,
            commit: { checkpoint, items, body in
                try await scope.write { tx in
                    try await body(tx)
                    try await tx.query(
                        "UPDATE etl_job_runs SET checkpoint = $1::jsonb, items_processed = items_processed + $2 WHERE id = $3",
                        [checkpoint, items, jobID])
                }
                let count = recorder.commits.withLock { $0 += 1; return $0 }
                if let interruptAfter, count >= interruptAfter { throw SyncInterruption.paused }
            },
            report: { event in recorder.events.withLock { $0.append(event) } })
    }

    static func connector(_ integration: SyncIntegration, http: HTTPClient, clock: any GitHubClock, pageSize: Int = 5) -> GitHubConnector {
        GitHubConnector(
            integration: integration, client: http, logger: Logger(label: "test.github"), clock: clock,
            policy: GitHubRetryPolicy(maximumAttempts: 4, initialBackoff: 0.05), pageSize: pageSize)
    }

    /// Runs a sync to the end (or the interruption) and returns what it reported.
    @discardableResult
    static func sync(_ database: PostgresDatabase, _ integration: SyncIntegration, jobID: Int64, mode: SyncMode,
                     http: HTTPClient, clock: any GitHubClock, pageSize: Int = 5, resume: Bool = false,
                     interruptAfter: Int? = nil) async throws -> Recorder {
        let recorder = Recorder()
        let checkpoint = resume ? try await self.checkpoint(database, integration, jobID: jobID) : "{}"
        let context = context(database, integration, jobID: jobID, mode: mode, checkpoint: checkpoint, recorder: recorder,
                              interruptAfter: interruptAfter)
        try await connector(integration, http: http, clock: clock, pageSize: pageSize).run(context)
        return recorder
    }

    /// The source columns of every table the connector writes, as sorted row texts per table
    /// (ids replaced by natural keys, so two clients' syncs compare).
    static let snapshotQueries: [String: String] = [
        "repositories": "SELECT ROW(full_name, default_branch, external_id, regexp_replace(url, '^[a-z]+://[^/]+', ''), archived, source_updated_at, pushed_at)::text FROM repositories r",
        "commits": """
            SELECT ROW(r.full_name, c.sha, message, author_name, author_email, authored_at, committed_at, on_default_branch)::text
            FROM commits c JOIN repositories r ON r.id = c.repository_id
            """,
        "commit_parents": "SELECT ROW(r.full_name, c.sha, parent_sha, position)::text FROM commit_parents c JOIN repositories r ON r.id = c.repository_id",
        "prs": """
            SELECT ROW(r.full_name, number, p.external_id, title, body, author, state, base_branch, head_branch, merge_method,
                       merge_commit_sha, labels, additions, deletions, changed_files, commits_count, review_comments_count,
                       merged_by, p.source_created_at, p.source_updated_at, merged_at, closed_at, first_review_at, approved_at)::text
            FROM prs p JOIN repositories r ON r.id = p.repository_id
            """,
        "prs_reviews": """
            SELECT ROW(r.full_name, p.number, v.external_id, reviewer, v.state, v.body, submitted_at)::text
            FROM prs_reviews v JOIN prs p ON p.id = v.pr_id JOIN repositories r ON r.id = p.repository_id
            """,
        "prs_comments": """
            SELECT ROW(r.full_name, p.number, v.external_id, v.author, v.body, path, commented_at)::text
            FROM prs_comments v JOIN prs p ON p.id = v.pr_id JOIN repositories r ON r.id = p.repository_id
            """,
        "prs_commits": """
            SELECT ROW(r.full_name, p.number, v.sha, v.commit_id IS NOT NULL, v.author_name, v.authored_at, v.message)::text
            FROM prs_commits v JOIN prs p ON p.id = v.pr_id JOIN repositories r ON r.id = p.repository_id
            """,
        "commit_pull_requests": """
            SELECT ROW(r.full_name, c.sha, p.number)::text
            FROM commit_pull_requests c JOIN prs p ON p.id = c.pr_id JOIN repositories r ON r.id = c.repository_id
            """,
        "deployments": """
            SELECT ROW(r.full_name, source, d.external_id, environment, sha, ref, regexp_replace(d.url, '^[a-z]+://[^/]+', ''), status, finished_at, d.source_created_at)::text
            FROM deployments d JOIN repositories r ON r.id = d.repository_id
            """,
        "deployment_statuses": """
            SELECT ROW(d.external_id, s.external_id, state, description, status_created_at)::text
            FROM deployment_statuses s JOIN deployments d ON d.id = s.deployment_id
            """,
        "releases": """
            SELECT ROW(r.full_name, x.external_id, tag_name, x.name, target_commitish, draft, prerelease, author, x.source_created_at,
                       published_at)::text FROM releases x JOIN repositories r ON r.id = x.repository_id
            """,
        "workflow_runs": """
            SELECT ROW(r.full_name, w.external_id, workflow_id, name, path, head_branch, head_sha, event, status, conclusion,
                       run_attempt, regexp_replace(w.url, '^[a-z]+://[^/]+', ''), run_started_at, w.source_created_at, w.source_updated_at)::text
            FROM workflow_runs w JOIN repositories r ON r.id = w.repository_id
            """,
    ]

    static func snapshot(_ database: PostgresDatabase, clientID: Int) async throws -> [String: [String]] {
        try await database.client(clientID).read { tx in
            var result: [String: [String]] = [:]
            for (table, sql) in snapshotQueries {
                result[table] = try await tx.query(sql).map { try $0.decode(String.self, at: 0) }.sorted()
            }
            return result
        }
    }

    /// Rows only one side has, per table (empty when the snapshots are equal).
    static func differences(_ a: [String: [String]], _ b: [String: [String]]) -> [String] {
        snapshotQueries.keys.sorted().flatMap { table -> [String] in
            let left = Set(a[table] ?? []), right = Set(b[table] ?? [])
            return left.subtracting(right).sorted().map { "\(table) only first: \($0)" }
                + right.subtracting(left).sorted().map { "\(table) only second: \($0)" }
        }
    }

    static func count(_ database: PostgresDatabase, clientID: Int, _ sql: String) async throws -> Int {
        try await database.client(clientID).read { tx in try await tx.query(sql)[0].decode(Int.self, at: 0) }
    }

    /// Runs `body` with a fake GitHub on a live loopback server.
    static func withFake<T>(_ fake: FakeGitHubServer, _ body: (String, HTTPClient) async throws -> T) async throws -> T {
        let http = try HTTPClient()
        defer { http.shutdown() }
        return try await withLiveHTTPServer(responder: fake.responder) { _, port in
            try await body("http://127.0.0.1:\(port)", http)
        }
    }
}
