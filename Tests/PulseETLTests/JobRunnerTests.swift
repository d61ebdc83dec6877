import Foundation
import PulseETL
import PulseObservability
import PulsePostgres
import PulseTestSupport
import Testing

/// The queue and runner against real PostgreSQL: leases, takeover, checkpoints, retries,
/// pause/resume/cancel, the finished-sync notification.
@Suite("ETL jobs", .serialized, .timeLimit(.minutes(3)))
struct JobRunnerTests {
    @Test func twoWorkersRacingForOneQueueRunEachJobOnce() async throws {
        let h = try await JobTestHarness.make()
        let client = try await h.createClient()
        let source = TestSource(.init(pages: 3, perPage: 2, pageDelay: .milliseconds(5)))
        var integrations: [Int] = [], jobs: [Int] = []
        for _ in 0..<8 {
            let integration = try await h.createIntegration(clientID: client.id)
            integrations.append(integration)
            jobs.append(try await h.enqueue(client.id, integration))
        }
        let registry = MetricsRegistry()
        let metrics = JobMetrics(registry: registry)
        let a = try h.worker(source.registry, owner: "worker-a", client: client, metrics: metrics)
        let b = try h.worker(source.registry, owner: "worker-b", client: client, metrics: metrics)
        async let runsA = a.runAvailable()
        async let runsB = b.runAvailable()
        let (ra, rb) = try await (runsA, runsB)
        #expect(ra + rb == 8)
        #expect(source.runs.withLock { $0.sorted() } == integrations.sorted())  // each job ran once
        for (job, integration) in zip(jobs, integrations) {
            let state = try await h.job(client.id, job)
            #expect(state.status == "succeeded")
            #expect(state.items == 6 && state.pages == 3)
            #expect(try await h.rowNames(client.id, integration) == JobTestHarness.expectedNames(integration, pages: 3, perPage: 2))
        }
        let exposition = registry.render()
        #expect(exposition.contains("pulse_etl_pages_committed_total 24"))
        #expect(exposition.contains("pulse_etl_items_committed_total 48"))
        #expect(exposition.contains(#"pulse_etl_job_runs_ended_total{outcome="succeeded"} 8"#))
        #expect(exposition.contains("pulse_etl_jobs_running 0"))
        await h.shutdown()
    }

    @Test func aStoppedWorkersJobIsTakenOverFromItsCheckpointWithNoDuplicateOrGap() async throws {
        let h = try await JobTestHarness.make()
        let client = try await h.createClient()
        let source = TestSource(.init(pages: 6, perPage: 4, hangAt: 3))
        let integration = try await h.createIntegration(clientID: client.id)
        let job = try await h.enqueue(client.id, integration)
        // Worker A stops sending heartbeats (as a killed or frozen process) while hanging at page 3.
        let a = try h.worker(source.registry, owner: "worker-a", client: client) { $0.leaseSeconds = 1; $0.heartbeatInterval = 3600 }
        let b = try h.worker(source.registry, owner: "worker-b", client: client) { $0.leaseSeconds = 30 }
        let stalled = Task { try await a.runAvailable() }
        while !source.hanging.load(ordering: .sequentiallyConsistent) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(try await h.job(client.id, job).checkpoint == #"{"page": 3}"#)
        #expect(try await b.runAvailable() == 0)  // the lease is still A's
        try await Task.sleep(for: .milliseconds(1200))
        #expect(try await b.runAvailable() == 1)  // expired: B resumes at page 3
        let done = try await h.job(client.id, job)
        #expect(done.status == "succeeded")
        #expect(done.items == 24 && done.pages == 6)
        // A wakes up and tries to commit its page 3: refused, nothing written twice.
        source.release()
        _ = try await stalled.value
        #expect(try await h.rowNames(client.id, integration) == JobTestHarness.expectedNames(integration, pages: 6, perPage: 4))
        #expect(try await h.job(client.id, job).status == "succeeded")
        #expect(source.commits.withLock { $0 }.filter { $0 == "\(integration):3" }.count == 2)  // tried by both, stored once
        #expect(source.commits.withLock { $0 }.filter { $0 == "\(integration):0" }.count == 1)  // B did not start over
        await h.shutdown()
    }

    @Test func retryableFailuresAreRetriedWithBackoffAndKeepCommittedPages() async throws {
        let h = try await JobTestHarness.make()
        let client = try await h.createClient()
        let source = TestSource(.init(pages: 4, perPage: 2, failures: [2: (2, true)]))
        let integration = try await h.createIntegration(clientID: client.id)
        let job = try await h.enqueue(client.id, integration)
        let worker = try h.worker(source.registry, owner: "worker-r", client: client) { $0.retryBaseSeconds = 0.2 }
        #expect(try await worker.runAvailable() == 1)
        let first = try await h.job(client.id, job)
        #expect(first.status == "queued" && first.attempt == 2)
        #expect(first.error == "test failure at page 2")
        #expect(first.checkpoint == #"{"page": 2}"#)
        #expect(try await worker.runAvailable() == 0)  // not due before its backoff
        try await h.drain(worker) { try await h.job(client.id, job).status == "succeeded" }
        let done = try await h.job(client.id, job)
        #expect(done.status == "succeeded" && done.attempt == 3)
        #expect(done.items == 8)
        #expect(try await h.rowNames(client.id, integration) == JobTestHarness.expectedNames(integration, pages: 4, perPage: 2))
        #expect(source.commits.withLock { $0 }.filter { $0 == "\(integration):0" }.count == 1)

        // Not retryable: failed at once with the connector's words.
        let other = try await h.createIntegration(clientID: client.id)
        source.plan.withLock { $0.failures = [1: (1, false)] }
        let failing = try await h.enqueue(client.id, other)
        try await worker.runAvailable()
        let failed = try await h.job(client.id, failing)
        #expect(failed.status == "failed" && failed.attempt == 1)
        #expect(failed.error == "test failure at page 1")
        await h.shutdown()
    }

    @Test func pauseResumeAndCancel() async throws {
        let h = try await JobTestHarness.make()
        let client = try await h.createClient()
        let control = JobControl(database: h.database)
        let source = TestSource(.init(pages: 10, perPage: 1, pageDelay: .milliseconds(80)))
        let integration = try await h.createIntegration(clientID: client.id)
        let job = try await h.enqueue(client.id, integration)
        let worker = try h.worker(source.registry, owner: "worker-p", client: client)
        let run = Task { try await worker.runAvailable() }
        while try await h.job(client.id, job).pages < 2 { try await Task.sleep(for: .milliseconds(20)) }
        _ = try await control.apply(.pause, clientID: client.id, id: job)
        _ = try await run.value
        let paused = try await h.job(client.id, job)
        #expect(paused.status == "paused")
        #expect(paused.pages >= 2 && paused.pages < 10)
        #expect(try await worker.runAvailable() == 0)  // paused jobs are not claimed
        _ = try await control.apply(.resume, clientID: client.id, id: job)
        #expect(try await h.job(client.id, job).status == "queued")
        try await worker.runAvailable()
        #expect(try await h.job(client.id, job).status == "succeeded")
        #expect(try await h.rowNames(client.id, integration) == JobTestHarness.expectedNames(integration, pages: 10, perPage: 1))

        // A queued job cancels at once; a running one after its current page.
        let queued = try await h.enqueue(client.id, integration)
        _ = try await control.apply(.cancel, clientID: client.id, id: queued)
        #expect(try await h.job(client.id, queued).status == "cancelled")
        await #expect(throws: (any Error).self) { try await control.apply(.resume, clientID: client.id, id: queued) }
        let second = try await h.createIntegration(clientID: client.id)
        let running = try await h.enqueue(client.id, second)
        let run2 = Task { try await worker.runAvailable() }
        while try await h.job(client.id, running).pages < 1 { try await Task.sleep(for: .milliseconds(20)) }
        _ = try await control.apply(.cancel, clientID: client.id, id: running)
        _ = try await run2.value
        let cancelled = try await h.job(client.id, running)
        #expect(cancelled.status == "cancelled" && cancelled.pages < 10)
        // Another client does not see (or stop) the job.
        let stranger = try await h.createClient()
        #expect(try await control.job(clientID: stranger.id, id: running) == nil)
        await #expect(throws: (any Error).self) { try await control.apply(.pause, clientID: stranger.id, id: job) }
        await h.shutdown()
    }

    @Test func aFinishedSyncIsAnnouncedOnPulseSyncFinished() async throws {
        let h = try await JobTestHarness.make()
        let client = try await h.createClient()
        let source = TestSource(.init(pages: 1, perPage: 1))
        let integration = try await h.createIntegration(clientID: client.id)
        let listener = try PostgresListener(conninfo: h.cluster.connection.primaryURL, channels: ["pulse_sync_finished"])
        let received = Task { () -> String? in
            for try await notification in listener where notification.payload.contains("\"integration_id\":\(integration),") {
                return notification.payload
            }
            return nil
        }
        try await Task.sleep(for: .milliseconds(300))  // LISTEN is in place
        let job = try await h.enqueue(client.id, integration)
        try await h.worker(source.registry, owner: "worker-n", client: client).runAvailable()
        let payload = try #require(try await received.value)
        let object = try JSONSerialization.jsonObject(with: Data(payload.utf8)) as! [String: Any]
        #expect(object["client_id"] as? Int == client.id)
        #expect(object["job_id"] as? Int == job)
        #expect(object["provider"] as? String == "custom")
        #expect(object["status"] as? String == "succeeded")
        await h.shutdown()
    }

    @Test func dueSchedulesQueueOneJobEvenWithTwoSchedulers() async throws {
        let h = try await JobTestHarness.make()
        let client = try await h.createClient()
        let integration = try await h.createIntegration(clientID: client.id)
        let scheduler = JobScheduler(database: h.database, logger: .init(label: "test"))
        let saved = try await scheduler.save(clientID: client.id, id: nil, input: .init(integrationId: integration, cron: "*/5 * * * *", mode: "full"))
        let id = (try JSONSerialization.jsonObject(with: Data(saved.utf8)) as! [String: Any])["id"] as! Int
        try await h.database.query("UPDATE job_schedules SET next_run_at = now() - interval '1 minute' WHERE id = $1", [id], clientID: client.id)
        #expect(try await h.database.query("SELECT client_id FROM pulse_etl_clients_with_due_work(NULL)").map { try $0.decode(Int.self, at: 0) }
            .contains(client.id))
        async let one = scheduler.enqueueDue(clientID: client.id)
        async let two = JobScheduler(database: h.database, logger: .init(label: "test")).enqueueDue(clientID: client.id)
        #expect(try await one + two == 1)
        let jobs = try await h.database.query("SELECT mode, status FROM etl_job_runs WHERE job_schedule_id = $1", [id], clientID: client.id)
        #expect(jobs.count == 1)
        #expect(try jobs[0].decode(String.self, at: 0) == "full")
        let next = try await h.database.query("SELECT next_run_at > now() FROM job_schedules WHERE id = $1", [id], clientID: client.id)
        #expect(try next[0].decode(Bool.self, at: 0))
        await h.shutdown()
    }
}
