import Foundation
import PulseETL
import PulseHTTPClient
import PulsePostgres
import PulseSandbox
import Testing

/// The GitHub connector against the built-in sandbox (PulseSandbox): the same endpoints,
/// paging, headers, rate limits and faults as GitHub, over a generated organisation.
@Suite(.serialized) struct GitHubSandboxTests {
    static let scale = SandboxConfiguration.Scale(repositories: 2, pullRequestsPerRepository: 12, commitsPerRepository: 40,
                                                  jiraProjects: 1, issuesPerProject: 5)

    static func withSandbox<T>(_ configuration: SandboxConfiguration, _ body: (SandboxServer, String, HTTPClient) async throws -> T)
        async throws -> T
    {
        let sandbox = SandboxServer(configuration: configuration)
        let port = try sandbox.start()
        let http = try HTTPClient()
        defer { http.shutdown() }
        do {
            let result = try await body(sandbox, "http://127.0.0.1:\(port)", http)
            await sandbox.shutdown()
            return result
        } catch {
            await sandbox.shutdown()
            throw error
        }
    }

    /// A full sync of a fresh sandbox with the same seed and scale, in a new client.
    static func cleanSnapshot(_ database: PostgresDatabase, seed: UInt64, mutations: [Double] = []) async throws -> [String: [String]] {
        try await withSandbox(SandboxConfiguration(seed: seed, scale: scale)) { sandbox, base, http in
            for fraction in mutations { sandbox.mutate(fraction: fraction) }
            let (integration, job) = try await GitHubHarness.integration(database, baseURL: base)
            try await GitHubHarness.sync(database, integration, jobID: job, mode: .full, http: http, clock: GitHubVirtualClock(Date()),
                                         pageSize: 7)
            return try await GitHubHarness.snapshot(database, clientID: integration.clientID)
        }
    }

    @Test func aFullSyncStoresWhatTheSandboxServesAndIncrementalCatchesUp() async throws {
        let database = try await GitHubHarness.database()
        try await Self.withSandbox(SandboxConfiguration(seed: 11, scale: Self.scale)) { sandbox, base, http in
            let (integration, job) = try await GitHubHarness.integration(database, baseURL: base)
            let clock = GitHubVirtualClock(Date())
            let recorder = try await GitHubHarness.sync(database, integration, jobID: job, mode: .full, http: http, clock: clock, pageSize: 7)
            #expect(recorder.skipped.isEmpty, "\(recorder.skipped)")
            #expect(sandbox.requests.allSatisfy { $0.status < 400 }, "\(sandbox.requests.filter { $0.status >= 400 }.map(\.target))")
            let organisation = sandbox.organisation
            let client = integration.clientID
            #expect(try await GitHubHarness.count(database, clientID: client, "SELECT count(*) FROM repositories") == organisation.repositories.count)
            #expect(try await GitHubHarness.count(database, clientID: client, "SELECT count(*) FROM prs")
                    == organisation.repositories.reduce(0) { $0 + $1.pulls.count })
            #expect(try await GitHubHarness.count(database, clientID: client, "SELECT count(*) FROM deployments")
                    == organisation.repositories.reduce(0) { $0 + $1.deployments.count })
            #expect(try await GitHubHarness.count(database, clientID: client, "SELECT count(*) FROM commits")
                    == organisation.repositories.reduce(0) { $0 + $1.commits.count })
            // The merge methods the sandbox generated are the ones the graph tells.
            var expected: [String: String] = [:]
            for repo in organisation.repositories {
                for pull in repo.pulls where pull.merged && pull.baseRef == repo.defaultBranch {
                    if let method = pull.mergeMethod { expected["acme-pay/\(repo.name)#\(pull.number)"] = "\(method)" }
                }
            }
            let stored = try await database.client(client).read { tx in
                try await tx.query(
                    "SELECT r.full_name || '#' || p.number, p.merge_method FROM prs p JOIN repositories r ON r.id = p.repository_id WHERE p.state = 'merged'")
                    .map { (try $0.decode(String.self, at: 0), try $0.decode(String?.self, at: 1)) }
            }
            let mismatches = stored.filter { key, method in expected[key].map { !$0.contains(method ?? "-") } ?? false }
            #expect(mismatches.isEmpty, "merge methods differ: \(mismatches) expected \(expected)")

            // 1 % of the data changes; an incremental run equals a clean full sync of the new state.
            sandbox.mutate(fraction: 0.05)
            sandbox.clearRequests()
            try await GitHubHarness.sync(database, integration, jobID: job, mode: .incremental, http: http, clock: clock, pageSize: 7)
            let incrementalRequests = sandbox.requests.count
            let after = try await GitHubHarness.snapshot(database, clientID: client)
            let clean = try await Self.cleanSnapshot(database, seed: 11, mutations: [0.05])
            #expect(GitHubHarness.differences(after, clean).isEmpty, "\(GitHubHarness.differences(after, clean).prefix(12))")
            #expect(incrementalRequests > 0)
        }
    }

    /// Run on their own by scripts/test.sh (PULSE_ISOLATED_SUITES=1): inside the whole parallel
    /// suite the shared PostgreSQL cluster went away under them (not yet explained; see the
    /// issue 12 note), alone they pass.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PULSE_ISOLATED_SUITES"] == "1"))
    func faultModeDataEqualsCleanDataAfterASecondPass() async throws {
        let database = try await GitHubHarness.database()
        let faults = SandboxConfiguration.Faults(rateLimitEvery: 60, badGatewayEvery: 23, shiftingPages: true, retryAfterSeconds: 1)
        let (faulty, served, clientID) = try await Self.withSandbox(SandboxConfiguration(seed: 12, scale: Self.scale, faults: faults)) {
            sandbox, base, http in
            let (integration, job) = try await GitHubHarness.integration(
                database, baseURL: base, settings: #"{"organization": "acme-pay", "concurrency": 1}"#)
            let recorder = try await GitHubHarness.sync(database, integration, jobID: job, mode: .full, http: http,
                                                        clock: SystemGitHubClock(), pageSize: 7)
            #expect(!recorder.waits.isEmpty, "the rate-limit faults were waited out")
            #expect(recorder.retries > 0, "the 502s were retried")
            try await GitHubHarness.sync(database, integration, jobID: job, mode: .full, http: http,
                                         clock: SystemGitHubClock(), pageSize: 7)
            #expect(sandbox.requests.filter(\.early).isEmpty, "no request came back before retry-after ran out")
            return (try await GitHubHarness.snapshot(database, clientID: integration.clientID), sandbox.organisation, integration.clientID)
        }
        // Shifting pages really moves a PR (its updated_at jumps): every other table equals a
        // clean sandbox's sync, and the PRs are what the faulty sandbox serves now.
        var clean = try await Self.cleanSnapshot(database, seed: 12)
        var rest = faulty
        clean["prs"] = nil
        rest["prs"] = nil
        #expect(GitHubHarness.differences(rest, clean).isEmpty, "\(GitHubHarness.differences(rest, clean).prefix(12))")
        let stored = try await database.client(clientID).read { tx in
            try await tx.query(
                "SELECT r.full_name || '#' || p.number || '@' || extract(epoch FROM p.source_updated_at)::bigint FROM prs p JOIN repositories r ON r.id = p.repository_id")
                .map { try $0.decode(String.self, at: 0) }
        }
        let expected = served.repositories.flatMap { repo in repo.pulls.map { "acme-pay/\(repo.name)#\($0.number)@\($0.updatedAt)" } }
        #expect(Set(stored) == Set(expected), "\(Set(stored).symmetricDifference(expected))")
    }

    /// Run on their own by scripts/test.sh (PULSE_ISOLATED_SUITES=1): inside the whole parallel
    /// suite the shared PostgreSQL cluster went away under them (not yet explained; see the
    /// issue 12 note), alone they pass.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PULSE_ISOLATED_SUITES"] == "1"))
    func thePrimaryLimitIsWaitedOutUntilTheReset() async throws {
        let database = try await GitHubHarness.database()
        let configuration = SandboxConfiguration(seed: 13, scale: SandboxConfiguration.Scale(
            repositories: 1, pullRequestsPerRepository: 6, commitsPerRepository: 20, jiraProjects: 1, issuesPerProject: 2),
            rateLimit: .init(limit: 40, windowSeconds: 2))
        try await Self.withSandbox(configuration) { sandbox, base, http in
            let (integration, job) = try await GitHubHarness.integration(
                database, baseURL: base, settings: #"{"organization": "acme-pay", "concurrency": 1}"#)
            let recorder = try await GitHubHarness.sync(database, integration, jobID: job, mode: .full, http: http,
                                                        clock: SystemGitHubClock(), pageSize: 10)
            #expect(!recorder.waits.isEmpty)
            #expect(sandbox.requests.filter(\.early).isEmpty)
            #expect(sandbox.requests.count > 40, "more requests than one window allows")
            #expect(try await GitHubHarness.count(database, clientID: integration.clientID, "SELECT count(*) FROM prs")
                    == sandbox.organisation.repositories[0].pulls.count)
        }
    }

    /// Run on their own by scripts/test.sh (PULSE_ISOLATED_SUITES=1): inside the whole parallel
    /// suite the shared PostgreSQL cluster went away under them (not yet explained; see the
    /// issue 12 note), alone they pass.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PULSE_ISOLATED_SUITES"] == "1"))
    func badPayloadsFromTheSandboxAreReportedAndRepairedByTheNextPass() async throws {
        let database = try await GitHubHarness.database()
        try await Self.withSandbox(SandboxConfiguration(seed: 14, scale: Self.scale)) { sandbox, base, http in
            let repo = sandbox.organisation.repositories[0]
            let prefix = "/repos/acme-pay/\(repo.name)"
            let number = repo.pulls[0].number
            sandbox.inject(.wrongType("title"), path: "\(prefix)/pulls/\(number)")
            sandbox.inject(.missingField("number"), path: "\(prefix)/pulls")
            sandbox.inject(.truncated, path: "\(prefix)/commits")
            sandbox.inject(.htmlError, path: "\(prefix)/deployments")
            sandbox.inject(.null("tag_name"), path: "\(prefix)/releases")
            let (integration, job) = try await GitHubHarness.integration(database, baseURL: base)
            let recorder = try await GitHubHarness.sync(database, integration, jobID: job, mode: .full, http: http,
                                                        clock: GitHubVirtualClock(Date()), pageSize: 7)
            let skipped = recorder.skipped
            #expect(skipped.contains { $0.contains("PR #\(number)") && $0.contains("wrong type") }, "\(skipped)")
            #expect(skipped.contains { $0.contains("missing field number") }, "\(skipped)")
            #expect(skipped.contains { $0.contains("release") && $0.contains("null") }, "\(skipped)")
            #expect(recorder.retries >= 2, "truncated JSON and the HTML page were retried")
            // A second (full) pass stores what the first had to skip: same rows as a clean sync.
            try await GitHubHarness.sync(database, integration, jobID: job, mode: .full, http: http, clock: GitHubVirtualClock(Date()), pageSize: 7)
            let repaired = try await GitHubHarness.snapshot(database, clientID: integration.clientID)
            let clean = try await Self.cleanSnapshot(database, seed: 14)
            #expect(GitHubHarness.differences(repaired, clean).isEmpty, "\(GitHubHarness.differences(repaired, clean).prefix(12))")
        }
    }
}
