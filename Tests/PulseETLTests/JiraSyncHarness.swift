import Foundation
import Logging
import PulseHTTP
import PulseHTTPClient
import PulsePostgres
import PulseTestSupport
@testable import PulseETL
import Synchronization

/// A minimal job runner for the Jira tests: a client and a Jira integration in the test
/// cluster, and a `SyncContext` whose commit runs the page's writes in one transaction and
/// keeps the checkpoint only once that transaction committed. `crashAfterPages` makes the
/// n+1-th commit fail before anything of it is written, like a process killed mid-run.
final class JiraSyncHarness: Sendable {
    struct Crash: Error {}
    struct Record: Sendable {
        var checkpoint = "{}"
        var pages = 0
        var items = 0
        var events: [SyncProgressEvent] = []
        var crashAfterPages: Int?
    }

    let database: PostgresDatabase
    let clientID: Int
    let integration: SyncIntegration
    let record = Mutex(Record())

    static func database() async throws -> PostgresDatabase {
        let handle = try await PostgresTestCluster.shared.start()
        return try PostgresDatabase(configuration: PostgresConfiguration(primary: handle.connection.primaryURL))
    }

    /// A new client with one Jira integration at `baseURL`.
    init(database: PostgresDatabase, baseURL: String, token: String = "secret-token", settings: String? = nil) async throws {
        self.database = database
        let handle = try await PostgresTestCluster.shared.start()
        let owner = try await PostgresConnection.connect(handle.connection.ownerURL)
        defer { owner.close() }
        let slug = "jira-\(UUID().uuidString.prefix(8).lowercased())"
        let clientID = try await owner.query("INSERT INTO clients (name, slug) VALUES ($1, $1) RETURNING id", [slug])[0].decode(Int.self, at: 0)
        self.clientID = clientID
        let settingsJSON = settings ?? #"{"projects": ["PAY", "WEB"], "incident_repository_field": "customfield_10050", "incident_deployment_field": "customfield_10051"}"#
        let id = try await database.client(clientID).write { tx in
            try await tx.query(
                "INSERT INTO integrations (client_id, provider, name, base_url, settings) VALUES ($1, 'jira', 'jira', $2, $3::jsonb) RETURNING id",
                [clientID, baseURL, settingsJSON])[0].decode(Int.self, at: 0)
        }
        integration = SyncIntegration(id: id, clientID: clientID, provider: "jira", name: "jira", baseURL: baseURL, settingsJSON: settingsJSON,
                                      credentialsJSON: #"{"email": "bot@example.com", "api_token": "\#(token)"}"#)
    }

    func context(_ mode: SyncMode) -> SyncContext {
        let scope = database.client(clientID)
        return SyncContext(
            integration: integration, mode: mode, checkpoint: record.withLock { $0.checkpoint }, database: scope,
            commit: { checkpoint, items, body in
                let crash = self.record.withLock { r in r.crashAfterPages.map { r.pages >= $0 } ?? false }
                if crash { throw Crash() }
                try await scope.write { tx in try await body(tx) }
                self.record.withLock { r in
                    r.checkpoint = checkpoint
                    r.pages += 1
                    r.items += items
                }
            },
            report: { event in self.record.withLock { $0.events.append(event) } })
    }

    /// Runs one sync; a finished run clears the checkpoint, as the job runner does.
    func sync(_ mode: SyncMode, site: JiraFakeSite? = nil, client: HTTPClient, pageSize: Int = 100) async throws {
        let connector = JiraConnector(integration: integration, client: client, logger: Logger(label: "test.jira"),
                                      options: .init(clock: site?.clock.jiraClock ?? JiraVirtualClock().jiraClock, pageSize: pageSize))
        try await connector.run(context(mode))
        record.withLock { $0.checkpoint = "{}" }
    }

    var events: [SyncProgressEvent] { record.withLock { $0.events } }
    var skipped: [String] {
        events.compactMap { if case .skippedItem(let reason) = $0.kind { return reason } else { return nil } }
    }

    func count(_ table: String) async throws -> Int {
        try await database.client(clientID).read { tx in
            try await tx.query("SELECT count(*)::int FROM \(table) WHERE client_id = $1", [clientID])[0].decode(Int.self, at: 0)
        }
    }

    /// Row count and checksum of each synced table, over the columns that come from Jira
    /// (no surrogate ids or bookkeeping times), for "same rows" comparisons across clients.
    func checksums() async throws -> [String: String] {
        let queries: [String: String] = [
            "projects": "SELECT concat_ws('|', external_id, key, name, project_type) FROM projects WHERE client_id = $1",
            "statuses": "SELECT concat_ws('|', external_id, name, category) FROM statuses WHERE client_id = $1",
            "wits": "SELECT concat_ws('|', external_id, name, description) FROM wits WHERE client_id = $1",
            "status_mappings": "SELECT concat_ws('|', status_from, status_to, status_category) FROM status_mappings WHERE client_id = $1",
            "wits_mappings": "SELECT concat_ws('|', wit_from, wit_to) FROM wits_mappings WHERE client_id = $1",
            "sprints": "SELECT concat_ws('|', s.external_id, board_external_id, p.key, s.name, state, goal, start_at, end_at, complete_at) FROM sprints s LEFT JOIN projects p ON p.id = s.project_id WHERE s.client_id = $1",
            "work_items": """
                SELECT concat_ws('|', w.external_id, w.key, p.key, summary, description, wit_name, status_name, status_category, priority,
                    assignee, reporter, story_points, labels::text, components::text, fields::text, parent_key, sprint,
                    source_created_at, source_updated_at, resolved_at) FROM work_items w LEFT JOIN projects p ON p.id = w.project_id
                WHERE w.client_id = $1
                """,
            "changelogs": """
                SELECT concat_ws('|', w.external_id, c.external_id, field, from_value, to_value, from_id, to_id, author, changed_at)
                FROM changelogs c JOIN work_items w ON w.id = c.work_item_id WHERE c.client_id = $1
                """,
            "sprint_work_items": """
                SELECT concat_ws('|', s.external_id, w.external_id) FROM sprint_work_items sw JOIN sprints s ON s.id = sw.sprint_id
                JOIN work_items w ON w.id = sw.work_item_id WHERE sw.client_id = $1
                """,
        ]
        var result: [String: String] = [:]
        for (table, select) in queries {
            result[table] = try await database.client(clientID).read { tx in
                let row = try await tx.query("SELECT count(*) || ':' || coalesce(md5(string_agg(r, E'\\n' ORDER BY r)), '-') FROM (\(select)) AS t(r)", [clientID])[0]
                return try row.decode(String.self, at: 0)
            }
        }
        return result
    }
}

/// Runs `body` with a fake Jira site on a live PulseHTTP server (127.0.0.1, port 0).
func withJiraSite<T>(_ site: JiraFakeSite, _ body: (String) async throws -> T) async throws -> T {
    try await withLiveHTTPServer(responder: ClosureResponder { request in site.respond(request) }) { _, port in
        try await body("http://127.0.0.1:\(port)")
    }
}
