import Foundation
import Glibc
import Logging
import PulseHTTPClient
import PulsePostgres
import PulseTestSupport
@testable import PulseETL
import Testing

/// `kill -9` of a process in the middle of a Jira sync, then a new process that resumes from
/// the checkpoint its predecessor committed with its last page: same rows as a clean run, and
/// the resumed run starts at the stored page token. The worker is this test binary itself,
/// running `workerSyncsUntilDone` (enabled only by the environment the parent sets). The
/// checkpoint lives in `job_schedules.checkpoint`, written in each page's transaction.
@Suite(.serialized) struct JiraKillTests {
    static let env = ProcessInfo.processInfo.environment

    /// The worker: one full sync that stores each page's checkpoint with the page.
    @Test(.enabled(if: env["PULSE_JIRA_KILL_WORKER"] != nil)) func workerSyncsUntilDone() async throws {
        let database = try PostgresDatabase(configuration: PostgresConfiguration(primary: try #require(Self.env["PULSE_JIRA_KILL_DB"])))
        let clientID = try #require(Int(Self.env["PULSE_JIRA_KILL_CLIENT"] ?? ""))
        let integrationID = try #require(Int(Self.env["PULSE_JIRA_KILL_INTEGRATION"] ?? ""))
        let base = try #require(Self.env["PULSE_JIRA_KILL_BASE"])
        let scope = database.client(clientID)
        let integration = SyncIntegration(id: integrationID, clientID: clientID, provider: "jira", name: "jira", baseURL: base,
                                          settingsJSON: #"{"projects": ["PAY", "WEB"]}"#,
                                          credentialsJSON: #"{"email": "bot@example.com", "api_token": "secret-token"}"#)
        let stored = try await scope.read { tx in
            try await tx.query("SELECT checkpoint::text FROM job_schedules WHERE integration_id = $1 AND job_name = 'jira-kill-test'", [integrationID])[0]
                .decode(String.self, at: 0)
        }
        let context = SyncContext(
            integration: integration, mode: .full, checkpoint: stored, database: scope,
            commit: { checkpoint, _, body in
                try await scope.write { tx in
                    try await body(tx)
                    try await tx.query("UPDATE job_schedules SET checkpoint = $2::jsonb WHERE integration_id = $1 AND job_name = 'jira-kill-test'",
                                       [integrationID, checkpoint])
                }
            }, report: { _ in })
        let connector = JiraConnector(integration: integration, client: try HTTPClient(), logger: Logger(label: "kill-worker"),
                                      options: .init(pageSize: 5))
        try await connector.run(context)
        await database.shutdown()
    }

    @Test(.enabled(if: env["PULSE_JIRA_KILL_WORKER"] == nil)) func aKilledProcessResumesFromItsCommittedCheckpoint() async throws {
        let database = try await JiraSyncHarness.database()
        let handle = try await PostgresTestCluster.shared.start()
        let site = JiraFakeSite(clock: JiraVirtualClock())
        site.mutate { $0.searchDelayMilliseconds = 150 }
        try await withJiraSite(site) { base in
            let job = try await JiraSyncHarness(database: database, baseURL: base, settings: #"{"projects": ["PAY", "WEB"]}"#)
            let scope = database.client(job.clientID)
            try await scope.write { tx in
                try await tx.query("INSERT INTO job_schedules (client_id, integration_id, job_name, cron) VALUES ($1, $2, 'jira-kill-test', '@never')",
                                   [job.clientID, job.integration.id])
            }
            func worker() throws -> Process {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
                process.arguments = ["--testing-library", "swift-testing", "--filter", "workerSyncsUntilDone"]
                var environment = ProcessInfo.processInfo.environment
                environment["PULSE_JIRA_KILL_WORKER"] = "1"
                environment["PULSE_JIRA_KILL_DB"] = handle.connection.primaryURL
                environment["PULSE_JIRA_KILL_CLIENT"] = String(job.clientID)
                environment["PULSE_JIRA_KILL_INTEGRATION"] = String(job.integration.id)
                environment["PULSE_JIRA_KILL_BASE"] = base
                process.environment = environment
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                return process
            }
            func checkpoint() async throws -> String {
                try await scope.read { tx in
                    try await tx.query("SELECT checkpoint::text FROM job_schedules WHERE integration_id = $1", [job.integration.id])[0].decode(String.self, at: 0)
                }
            }

            // First process: killed with SIGKILL once it committed a few issue pages.
            let first = try worker()
            let deadline = ContinuousClock.now + .seconds(120)
            while try await job.count("work_items") < 15, first.isRunning, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(first.isRunning, "the worker finished or failed before it could be killed")
            kill(first.processIdentifier, SIGKILL)
            first.waitUntilExit()
            #expect(first.terminationReason == .uncaughtSignal)
            let stored = try await checkpoint()
            let storedCount = try await job.count("work_items")
            #expect(stored.contains("next_page_token") && storedCount >= 15 && storedCount < 46)
            let token = try #require(JiraCheckpoint(text: stored).token)

            // Second process: resumes from the stored checkpoint and runs to the end.
            let before = site.requests.count
            let second = try worker()
            while second.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(second.terminationStatus == 0)
            let resumed = site.requests[before...].filter { $0.path.hasSuffix("/search/jql") }
            #expect(resumed.first?.body.contains("\"nextPageToken\":\"\(token)\"") == true)

            let clean = try await JiraSyncHarness(database: database, baseURL: base, settings: #"{"projects": ["PAY", "WEB"]}"#)
            try await clean.sync(.full, site: site, client: try HTTPClient(), pageSize: 5)
            #expect(try await job.checksums() == clean.checksums())
            let duplicates = try await scope.read { tx in
                try await tx.query("SELECT count(*) - count(DISTINCT external_id) FROM work_items WHERE integration_id = $1", [job.integration.id])[0]
                    .decode(Int.self, at: 0)
            }
            #expect(duplicates == 0)
        }
    }
}
