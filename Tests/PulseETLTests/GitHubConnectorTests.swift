import Foundation
import PulseETL
import PulseHTTPClient
import PulsePostgres
import Testing

/// The GitHub connector against a fake GitHub on a real socket and the real schema.
@Suite(.serialized) struct GitHubConnectorTests {
    static let start = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28, after the generated history

    @Test func fullSyncStoresEveryEndpointFollowingTheLinks() async throws {
        let organisation = FakeOrganisation()
        let clock = GitHubVirtualClock(Self.start)
        let fake = FakeGitHubServer(organisation, clock: clock)
        let database = try await GitHubHarness.database()
        try await GitHubHarness.withFake(fake) { base, http in
            let (integration, job) = try await GitHubHarness.integration(database, baseURL: base)
            let recorder = try await GitHubHarness.sync(database, integration, jobID: job, mode: .full, http: http, clock: clock)
            let client = integration.clientID
            #expect(fake.log.allSatisfy { $0.status != 400 }, "every page URL came from a Link header")
            #expect(fake.log.contains { $0.target.contains("cursor=c2x") })
            #expect(recorder.skipped.isEmpty, "\(recorder.skipped)")
            #expect(try await GitHubHarness.count(database, clientID: client, "SELECT count(*) FROM repositories") == 2)
            #expect(try await GitHubHarness.count(database, clientID: client, "SELECT count(*) FROM prs") == organisation.pullCount)
            #expect(try await GitHubHarness.count(database, clientID: client, "SELECT count(*) FROM commits WHERE on_default_branch") == organisation.commitCount)
            #expect(try await GitHubHarness.count(database, clientID: client, "SELECT count(*) FROM deployments") == organisation.deploymentCount)
            let statuses = organisation.repositories.reduce(0) { $0 + $1.deployments.reduce(0) { $0 + $1.statuses.count } }
            #expect(try await GitHubHarness.count(database, clientID: client, "SELECT count(*) FROM deployment_statuses") == statuses)
            let reviews = organisation.repositories.reduce(0) { $0 + $1.pulls.reduce(0) { $0 + $1.reviews.filter { $0.submitted != nil }.count } }
            #expect(try await GitHubHarness.count(database, clientID: client, "SELECT count(*) FROM prs_reviews") == reviews)
            #expect(try await GitHubHarness.count(database, clientID: client, "SELECT count(*) FROM prs_commits") == organisation.pullCount * 2)
            let releases = organisation.repositories.reduce(0) { $0 + $1.releases.count }
            #expect(try await GitHubHarness.count(database, clientID: client, "SELECT count(*) FROM releases") == releases)
            let runs = organisation.repositories.reduce(0) { $0 + $1.runs.count }
            #expect(try await GitHubHarness.count(database, clientID: client, "SELECT count(*) FROM workflow_runs") == runs)
            // The graph: every stored parent edge of the fake is there.
            let edges = organisation.repositories.reduce(0) { $0 + $1.main.reduce(0) { $0 + $1.parents.count } }
            #expect(try await GitHubHarness.count(database, clientID: client, "SELECT count(*) FROM commit_parents") == edges)
            // Merge methods from the graph and the association.
            let methods = try await database.client(client).read { tx in
                try await tx.query("SELECT number, merge_method FROM prs p JOIN repositories r ON r.id = p.repository_id WHERE r.full_name = 'acme-pay/api' AND state = 'merged'")
                    .map { (try $0.decode(Int.self, at: 0), try $0.decode(String?.self, at: 1)) }
            }
            for (number, method) in methods {
                #expect(method == ["merge", "squash", "rebase"][number % 5], "PR #\(number)")
            }
            #expect(!methods.isEmpty)
            // Rebased copies (besides the last, the PR's merge_commit_sha) are associated with
            // their PR; direct pushes with none.
            #expect(try await GitHubHarness.count(database, clientID: client, """
                SELECT count(*) FROM commit_pull_requests c JOIN prs p ON p.id = c.pr_id JOIN repositories r ON r.id = p.repository_id
                WHERE p.merge_method = 'rebase' AND r.full_name = 'acme-pay/api'
                """) == methods.filter { $0.0 % 5 == 2 }.count)
            #expect(try await GitHubHarness.count(database, clientID: client, """
                SELECT count(*) FROM commits c WHERE message LIKE 'Direct push%'
                  AND EXISTS (SELECT 1 FROM commit_pull_requests x WHERE x.sha = c.sha)
                """) == 0)
            // Deployment state: latest status, finished only on success; the unfinished one open.
            #expect(try await GitHubHarness.count(database, clientID: client,
                "SELECT count(*) FROM deployments WHERE status = 'in_progress' AND finished_at IS NULL") == 2)
            #expect(try await GitHubHarness.count(database, clientID: client,
                "SELECT count(*) FROM deployments WHERE status = 'success' AND finished_at IS NOT NULL") > 0)
            #expect(try await GitHubHarness.count(database, clientID: client,
                "SELECT count(*) FROM deployments WHERE status <> 'success' AND finished_at IS NOT NULL") == 0)
            // 64-bit ids are kept.
            #expect(try await GitHubHarness.count(database, clientID: client,
                "SELECT count(*) FROM repositories WHERE external_id::bigint > 4294967295") == 2)
            // The checkpoint ends in the done phase.
            #expect(try await GitHubHarness.checkpoint(database, integration, jobID: job).contains("\"done\""))

            // A second full run re-sends ETags and gets 304s for unchanged lists; same rows.
            let before = try await GitHubHarness.snapshot(database, clientID: client)
            try await GitHubHarness.sync(database, integration, jobID: job, mode: .full, http: http, clock: clock)
            #expect(fake.notModified > 0)
            #expect(fake.log.contains { $0.headers["If-None-Match"] != nil })
            #expect(try await GitHubHarness.snapshot(database, clientID: client) == before)
        }
    }

    @Test func fullThenIncrementalEqualsACleanFullSync() async throws {
        let clock = GitHubVirtualClock(Self.start)
        let fake = FakeGitHubServer(FakeOrganisation(), clock: clock)
        let database = try await GitHubHarness.database()
        try await GitHubHarness.withFake(fake) { base, http in
            let (first, firstJob) = try await GitHubHarness.integration(database, baseURL: base)
            try await GitHubHarness.sync(database, first, jobID: firstJob, mode: .full, http: http, clock: clock)
            let fullRequests = fake.log.count
            clock.advance(86_400)
            fake.update { $0.organisation.mutate(now: clock.now()) }
            let changed = fake.state.withLock { $0.organisation }
            let beforeIncremental = fake.log.count
            try await GitHubHarness.sync(database, first, jobID: firstJob, mode: .incremental, http: http, clock: clock)
            let incrementalRequests = fake.log.count - beforeIncremental
            #expect(incrementalRequests < fullRequests / 2, "incremental \(incrementalRequests) vs full \(fullRequests)")

            let (clean, cleanJob) = try await GitHubHarness.integration(database, baseURL: base)
            try await GitHubHarness.sync(database, clean, jobID: cleanJob, mode: .full, http: http, clock: clock)
            let incremental = try await GitHubHarness.snapshot(database, clientID: first.clientID)
            let full = try await GitHubHarness.snapshot(database, clientID: clean.clientID)
            for table in GitHubHarness.snapshotQueries.keys.sorted() {
                #expect(incremental[table] == full[table], "\(table) differs after full + incremental")
            }
            #expect(full["prs"]?.count == changed.pullCount)
            #expect(full["prs"]?.contains { $0.contains("(edited)") } == true)
            // The deployment that was in progress got its success status through the re-poll.
            #expect(try await GitHubHarness.count(database, clientID: first.clientID,
                "SELECT count(*) FROM deployments WHERE status = 'in_progress'") == 0)
        }
    }

    @Test func aStoppedRunResumesFromItsCheckpointWithNoGapOrDuplicate() async throws {
        let clock = GitHubVirtualClock(Self.start)
        let fake = FakeGitHubServer(FakeOrganisation(), clock: clock)
        let database = try await GitHubHarness.database()
        try await GitHubHarness.withFake(fake) { base, http in
            let (integration, job) = try await GitHubHarness.integration(database, baseURL: base)
            await #expect(throws: SyncInterruption.paused) {
                try await GitHubHarness.sync(database, integration, jobID: job, mode: .full, http: http, clock: clock, interruptAfter: 9)
            }
            let checkpoint = try await GitHubHarness.checkpoint(database, integration, jobID: job)
            #expect(checkpoint.contains("cursor"), "the checkpoint names the next page: \(checkpoint)")
            let resumedFrom = fake.log.count
            try await GitHubHarness.sync(database, integration, jobID: job, mode: .full, http: http, clock: clock, resume: true)
            // The resumed run does not start over: its first request is not the repository list.
            #expect(!fake.log[resumedFrom].target.contains("/orgs/"))
            let (clean, cleanJob) = try await GitHubHarness.integration(database, baseURL: base)
            try await GitHubHarness.sync(database, clean, jobID: cleanJob, mode: .full, http: http, clock: clock)
            #expect(try await GitHubHarness.snapshot(database, clientID: integration.clientID)
                    == GitHubHarness.snapshot(database, clientID: clean.clientID))
        }
    }

    @Test func rateLimitsAreWaitedOutAndNoRequestLeavesBeforeTheReset() async throws {
        let clock = GitHubVirtualClock(Self.start)
        var faults = FakeGitHubServer.Faults()
        faults.primaryLimitAtRequest = 3
        faults.lastQuotaAtRequest = 9
        faults.retryAfterAtRequest = 14
        faults.secondaryAtRequest = 20
        let fake = FakeGitHubServer(FakeOrganisation(), faults: faults, clock: clock)
        let cleanFake = FakeGitHubServer(FakeOrganisation(), clock: GitHubVirtualClock(Self.start))
        let database = try await GitHubHarness.database()
        let faulty = try await GitHubHarness.withFake(fake) { base, http in
            // One request at a time, so "before the reset" is about what the client knew.
            let (integration, job) = try await GitHubHarness.integration(
                database, baseURL: base, settings: #"{"organization": "acme-pay", "concurrency": 1}"#)
            let recorder = try await GitHubHarness.sync(database, integration, jobID: job, mode: .full, http: http, clock: clock)
            #expect(fake.violations.isEmpty, "\(fake.violations)")
            let waits = recorder.waits
            #expect(waits.contains { $0 >= 600 }, "primary reset waited: \(waits)")
            #expect(waits.filter { $0 >= 600 }.count >= 2, "403 at 0 and a 200 spending the last request: \(waits)")
            #expect(waits.contains(30), "retry-after honoured: \(waits)")
            #expect(waits.contains { $0 >= 60 && $0 < 600 }, "secondary limit without retry-after waits >= 60 s: \(waits)")
            return try await GitHubHarness.snapshot(database, clientID: integration.clientID)
        }
        let clean = try await GitHubHarness.withFake(cleanFake) { base, http in
            let (integration, job) = try await GitHubHarness.integration(database, baseURL: base)
            try await GitHubHarness.sync(database, integration, jobID: job, mode: .full, http: http, clock: cleanFake.clock)
            return try await GitHubHarness.snapshot(database, clientID: integration.clientID)
        }
        #expect(faulty == clean)
    }

    @Test func badGatewaysAreRetriedAndTheDataIsTheCleanData() async throws {
        let clock = GitHubVirtualClock(Self.start)
        var faults = FakeGitHubServer.Faults()
        faults.badGatewayEvery = 6
        let fake = FakeGitHubServer(FakeOrganisation(), faults: faults, clock: clock)
        let database = try await GitHubHarness.database()
        try await GitHubHarness.withFake(fake) { base, http in
            let (integration, job) = try await GitHubHarness.integration(database, baseURL: base)
            let recorder = try await GitHubHarness.sync(database, integration, jobID: job, mode: .full, http: http, clock: clock)
            #expect(recorder.retries > 5)
            #expect(clock.sleeps.allSatisfy { $0 <= 30 }, "backoff is bounded")
            fake.update { $0.faults = .init() }
            let (clean, cleanJob) = try await GitHubHarness.integration(database, baseURL: base)
            try await GitHubHarness.sync(database, clean, jobID: cleanJob, mode: .full, http: http, clock: clock)
            #expect(try await GitHubHarness.snapshot(database, clientID: integration.clientID)
                    == GitHubHarness.snapshot(database, clientID: clean.clientID))
        }
    }

    @Test func aPermission403IsNotRetriedAndFailsTheJobInWords() async throws {
        let clock = GitHubVirtualClock(Self.start)
        var faults = FakeGitHubServer.Faults()
        faults.forbiddenSuffix = "/releases"
        let fake = FakeGitHubServer(FakeOrganisation(repositories: 1), faults: faults, clock: clock)
        let database = try await GitHubHarness.database()
        try await GitHubHarness.withFake(fake) { base, http in
            let (integration, job) = try await GitHubHarness.integration(database, baseURL: base)
            do {
                try await GitHubHarness.sync(database, integration, jobID: job, mode: .full, http: http, clock: clock)
                Issue.record("a permission 403 must fail the sync")
            } catch let error as SyncError {
                #expect(!error.retryable)
                #expect(error.message.contains("403"))
                #expect(error.message.contains("Resource not accessible"))
            }
            #expect(fake.log.filter { $0.target.contains("/releases") }.count == 1)
            // What was committed before stays.
            #expect(try await GitHubHarness.count(database, clientID: integration.clientID, "SELECT count(*) FROM prs") > 0)
        }
    }

    @Test func badPayloadsAreSkippedOrRetriedNeverHalfWritten() async throws {
        let clock = GitHubVirtualClock(Self.start)
        var faults = FakeGitHubServer.Faults()
        faults.badPayloads = true
        faults.htmlOnceSuffix = "/deployments"
        faults.truncatedOnceSuffix = "/commits"
        let organisation = FakeOrganisation(repositories: 1)
        let fake = FakeGitHubServer(organisation, faults: faults, clock: clock)
        let database = try await GitHubHarness.database()
        try await GitHubHarness.withFake(fake) { base, http in
            let (integration, job) = try await GitHubHarness.integration(database, baseURL: base)
            let recorder = try await GitHubHarness.sync(database, integration, jobID: job, mode: .full, http: http, clock: clock)
            let skipped = recorder.skipped
            #expect(skipped.contains { $0.contains("PR #2") && $0.contains("wrong type") }, "\(skipped)")
            #expect(skipped.contains { $0.contains("missing field number") }, "\(skipped)")
            #expect(skipped.contains { $0.contains("repository") && $0.contains("wrong type") }, "\(skipped)")
            #expect(skipped.contains { $0.contains("commit") && $0.contains("null") }, "\(skipped)")
            #expect(recorder.retries >= 2, "the HTML page and the truncated JSON were retried")
            let client = integration.clientID
            #expect(try await GitHubHarness.count(database, clientID: client, "SELECT count(*) FROM prs") == organisation.pullCount - 1)
            #expect(try await GitHubHarness.count(database, clientID: client, "SELECT count(*) FROM prs WHERE number = 2") == 0)
            #expect(try await GitHubHarness.count(database, clientID: client, "SELECT count(*) FROM commits") == organisation.commitCount - 1)
            #expect(try await GitHubHarness.count(database, clientID: client, "SELECT count(*) FROM deployments") == organisation.deploymentCount)
        }
    }
}
