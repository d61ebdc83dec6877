import Foundation
import Logging
import PulseHTTPClient
import PulseSandbox
@testable import PulseETL
import Testing

/// The Jira connector against the team's sandbox (`PulseSandbox.SandboxServer`, Jira half):
/// what was synced is compared with the organisation the sandbox served. Real time here:
/// the sandbox checks `Retry-After` against its own clock.
@Suite(.serialized) struct JiraSandboxTests {
    static let settings = #"{"projects": ["PAY", "WEB"], "incident_repository_field": "customfield_10050", "incident_deployment_field": "customfield_10051"}"#

    func withSandbox<T>(_ configuration: SandboxConfiguration, _ body: (SandboxServer, String) async throws -> T) async throws -> T {
        let server = SandboxServer(configuration: configuration)
        let port = try server.start()
        do {
            let result = try await body(server, "http://127.0.0.1:\(port)")
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }

    func sync(_ job: JiraSyncHarness, _ mode: SyncMode, client: HTTPClient, pageSize: Int = 50) async throws {
        let connector = JiraConnector(integration: job.integration, client: client, logger: Logger(label: "test.jira.sandbox"),
                                      options: .init(clock: .system, retry: JiraRetryPolicy(baseBackoff: 0.05, maximumBackoff: 0.5), pageSize: pageSize))
        try await connector.run(job.context(mode))
        job.record.withLock { $0.checkpoint = "{}" }
    }

    /// What the sandbox serves for PAY and WEB, in the shape of the tables.
    struct Expected {
        var issues = 0, statusChanges = 0, sprints = 0, memberships = 0, statuses = 0, types = 0
        var storyPoints = 0, incidentsWithRepository = 0

        init(_ jira: SandboxJira, projects: Set<String> = ["PAY", "WEB"]) {
            let issues = jira.issues.filter { projects.contains($0.projectKey) }
            self.issues = issues.count
            statusChanges = issues.reduce(0) { $0 + $1.histories.filter { $0.items.contains { $0.fieldID == "status" } }.count }
            let boards = Set(jira.boards.filter { projects.contains($0.projectKey) && $0.type != "kanban" }.map(\.id))
            let sprintIDs = Set(jira.sprints.filter { boards.contains($0.boardID) }.map(\.id))
            sprints = sprintIDs.count
            memberships = issues.reduce(0) { $0 + Set($1.sprintIDs).intersection(sprintIDs).count }
            statuses = Set(jira.statuses.map(\.name)).count
            types = Set(jira.issueTypes.map(\.name)).count
            storyPoints = issues.compactMap(\.storyPoints).reduce(0, +)
            incidentsWithRepository = issues.filter { $0.repository != nil }.count
        }
    }

    @Test func aFullSyncStoresWhatTheSandboxServesAndAnIncrementalChangesNothing() async throws {
        let database = try await JiraSyncHarness.database()
        try await withSandbox(SandboxConfiguration(seed: 42, scale: .test)) { server, base in
            let client = try HTTPClient()
            let job = try await JiraSyncHarness(database: database, baseURL: base, token: "any-token", settings: Self.settings)
            try await sync(job, .full, client: client, pageSize: 25)
            let expected = Expected(server.organisation.jira)
            #expect(expected.issues > 40)
            #expect(try await job.count("work_items") == expected.issues)
            #expect(try await job.count("changelogs") == expected.statusChanges)
            #expect(try await job.count("sprints") == expected.sprints)
            #expect(try await job.count("sprint_work_items") == expected.memberships)
            #expect(try await job.count("statuses") == expected.statuses)
            #expect(try await job.count("wits") == expected.types)
            #expect(job.skipped.isEmpty, "\(job.skipped)")
            let sums = try await database.client(job.clientID).read { tx in
                try await tx.query("""
                    SELECT coalesce(sum(story_points), 0)::float8, count(*) FILTER (WHERE fields ? 'customfield_10050' AND fields->>'customfield_10050' IS NOT NULL)::int
                    FROM work_items
                    """)[0]
            }
            #expect(try sums.decode(Double.self, at: 0) == Double(expected.storyPoints))
            #expect(try sums.decode(Int.self, at: 1) == expected.incidentsWithRepository)
            // Timestamps in UTC: created of one issue as the sandbox holds it (epoch seconds; served
            // in the user's offset with the id's last three digits as milliseconds).
            let sample = try #require(server.organisation.jira.issues.first { $0.projectKey == "PAY" })
            let created = try await database.client(job.clientID).read { tx in
                try await tx.query("SELECT source_created_at FROM work_items WHERE external_id = $1", [String(sample.id)])[0].decode(Date.self, at: 0)
            }
            #expect(abs(created.timeIntervalSince1970 - (Double(sample.created) + Double(sample.id % 1000) / 1000)) < 0.000_5)
            #expect(!server.requests.contains { $0.target.hasPrefix("/rest/api/3/search?") || $0.target == "/rest/api/3/search" })

            // Incremental: bounded by the watermark, nothing changes; equals a clean full sync.
            server.clearRequests()
            try await sync(job, .incremental, client: client, pageSize: 25)
            let clean = try await JiraSyncHarness(database: database, baseURL: base, token: "any-token", settings: Self.settings)
            try await sync(clean, .full, client: client, pageSize: 25)
            #expect(try await job.checksums() == clean.checksums())
        }
    }

    @Test func theFaultModesDataEqualsTheCleanDataAndNoRequestComesBackEarly() async throws {
        let database = try await JiraSyncHarness.database()
        let client = try HTTPClient()
        let clean = try await withSandbox(SandboxConfiguration(seed: 7, scale: .test)) { _, base in
            let job = try await JiraSyncHarness(database: database, baseURL: base, token: "t", settings: Self.settings)
            try await sync(job, .full, client: client)
            return try await job.checksums()
        }
        let faults = SandboxConfiguration.Faults(rateLimitEvery: 9, badGatewayEvery: 7, latencyMilliseconds: 2, shiftingPages: true, retryAfterSeconds: 1)
        try await withSandbox(SandboxConfiguration(seed: 7, scale: .test, faults: faults)) { server, base in
            let job = try await JiraSyncHarness(database: database, baseURL: base, token: "t", settings: Self.settings)
            try await sync(job, .full, client: client)
            try await sync(job, .incremental, client: client)  // the second pass the shifting pages need
            #expect(try await job.checksums() == clean)
            let records = server.requests
            #expect(records.contains { $0.status == 429 } && records.contains { $0.status == 502 })
            #expect(!records.contains { $0.early }, "a request came back before its Retry-After")
            #expect(job.events.contains { if case .rateLimitWait = $0.kind { return true } else { return false } })
        }
    }

    @Test func badPayloadsFromTheSandboxAreRetriedOrSkippedAndReported() async throws {
        let database = try await JiraSyncHarness.database()
        try await withSandbox(SandboxConfiguration(seed: 42, scale: .test)) { server, base in
            let client = try HTTPClient()
            server.inject(.truncated, path: "/rest/api/3/search/jql")
            server.inject(.htmlError, path: "/rest/api/3/search/jql")
            server.inject(.missingField("key"), path: "/rest/api/3/search/jql")
            server.inject(.wrongType("fields"), path: "/rest/api/3/search/jql")
            server.inject(.null("changelog"), path: "/rest/api/3/search/jql")
            let job = try await JiraSyncHarness(database: database, baseURL: base, token: "t", settings: Self.settings)
            try await sync(job, .full, client: client, pageSize: 10)
            let expected = Expected(server.organisation.jira)
            // Two pages of 10 unusable issues (no key, fields not an object) are skipped and said;
            // the truncated and HTML pages were fetched again.
            #expect(try await job.count("work_items") == expected.issues - 20)
            #expect(job.skipped.filter { $0.contains("has no key") }.count == 10)
            #expect(job.skipped.filter { $0.contains("no fields object") }.count == 10)
            let retries = job.events.compactMap { if case .retry(_, let r) = $0.kind { return r } else { return nil } }
            #expect(retries.contains { $0.contains("truncated") } && retries.contains { $0.contains("HTML") })
            // A second run stores what the first had to skip.
            try await sync(job, .full, client: client, pageSize: 10)
            #expect(try await job.count("work_items") == expected.issues)
            #expect(try await job.count("changelogs") == expected.statusChanges)
        }
    }
}
