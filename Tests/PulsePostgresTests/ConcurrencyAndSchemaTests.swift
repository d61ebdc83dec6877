import Foundation
import PulseDatabaseOps
@testable import PulsePostgres
import PulseSystem
import PulseTestSupport
import Testing

extension ClusterSuite {
    /// A close from another task while a statement runs: the statement fails with a clear
    /// error, nothing crashes, and the connection stays closed.
    @Test func closeRacingAQueryFailsTheQueryCleanly() async throws {
        let url = try await Self.handle().connection.primaryURL
        let connection = try await PostgresConnection.connect(url)
        let started = AsyncStream<Void>.makeStream()
        let query = Task {
            started.continuation.yield()
            return try await connection.query("SELECT pg_sleep(30)")
        }
        for await _ in started.stream { break }
        // Let the statement reach its socket wait, then close underneath it.
        _ = try await Self.eventually {
            try await Self.activeSleeps() == 1
        }
        connection.close()
        let error = await #expect(throws: PostgresError.self) { try await query.value }
        #expect(error?.code == .connectionLost)
        #expect(error?.message.contains("closed while the statement was running") == true)
        #expect(!connection.isUsable)
        let again = await #expect(throws: PostgresError.self) { try await connection.query("SELECT 1") }
        #expect(again?.message == "connection is closed")
        connection.close()  // idempotent
        // The server-side statement was cancelled, not left running.
        #expect(try await Self.eventually { try await Self.activeSleeps() == 0 })
    }

    /// Many short queries with a close landing at arbitrary points: every query either
    /// succeeds or fails with `.connectionLost`; libpq is never freed under a running call.
    @Test func closeAtArbitraryPointsNeverCrashes() async throws {
        let url = try await Self.handle().connection.primaryURL
        for round in 0..<40 {
            let connection = try await PostgresConnection.connect(url)
            let worker = Task { () -> Int in
                var done = 0
                while true {
                    do {
                        _ = try await connection.query("SELECT $1::int + 1", [done])
                        done += 1
                    } catch let error as PostgresError {
                        // Lost, or (when the close's server-side cancel won) cancelled.
                        #expect(error.code == .connectionLost || error.code == .cancelled)
                        return done
                    }
                }
            }
            try await Task.sleep(for: .microseconds(200 * (round % 10)))
            connection.close()
            _ = try await worker.value
        }
    }

    /// Backends running exactly `sql` right now.
    static func activeSleeps(_ sql: String = "SELECT pg_sleep(30)") async throws -> Int {
        let admin = try await superuser()
        defer { admin.close() }
        return try await admin.query(
            "SELECT count(*) FROM pg_stat_activity WHERE query = $1 AND state = 'active'", [sql])[0]
            .decode(Int.self, at: 0)
    }

    /// A task on a PulseSystem event loop waits for its socket on that loop: after the
    /// query it is still on the loop thread, and the loop's readiness set is in use.
    @Test func queriesFromAnEventLoopStayOnIt() async throws {
        let db = try await Self.database()
        defer { Task { await db.shutdown() } }
        let group = try EventLoopGroup(count: 1)
        let loop = group.loops[0]
        let (onLoop, usedLoopSet, values) = try await Task(executorPreference: loop) {
            var values: [Int] = []
            for i in 0..<50 {
                let value = try await db.primary.withConnection { connection in
                    try await connection.query("SELECT $1::int * 2", [i])[0].decode(Int.self, at: 0)
                }
                values.append(value)
            }
            return (loop.inLoop, LoopReadiness.current() != nil, values)
        }.value
        #expect(onLoop)
        #expect(usedLoopSet)
        #expect(values == (0..<50).map { $0 * 2 })
        // From the global pool the reactor thread serves the same query.
        #expect(LoopReadiness.current() == nil)
        #expect(try await db.primary.withConnection { try await $0.query("SELECT 7")[0].decode(Int.self, at: 0) } == 7)
        await group.shutdown()
    }

    /// Stopping the event loop a statement waits on fails that statement instead of
    /// leaving its task suspended forever.
    @Test func stoppingTheLoopFailsAWaitingStatement() async throws {
        let url = try await Self.handle().connection.primaryURL
        let connection = try await PostgresConnection.connect(url)
        defer { connection.close() }
        let group = try EventLoopGroup(count: 1)
        let sql = "SELECT pg_sleep(29)"
        let query = Task(executorPreference: group.loops[0]) { try await connection.query(sql) }
        #expect(try await Self.eventually { try await Self.activeSleeps(sql) == 1 })
        await group.shutdown()
        let error = await #expect(throws: PostgresError.self) { try await query.value }
        #expect(error?.code == .connectionLost)
        #expect(!connection.isUsable)
        // The server does not notice the abandoned statement by itself: cancel it.
        let admin = try await Self.superuser()
        defer { admin.close() }
        try await admin.query("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query = $1", [sql])
    }

    /// The row encoder: escaping, arrays, NULL, unicode, timestamps, floats; a row whose
    /// encoding throws leaves nothing behind.
    @Test func copyRowEncoderRoundTrips() async throws {
        let db = try await Self.database()
        defer { Task { await db.shutdown() } }
        let when = Date(timeIntervalSince1970: 1_700_000_000.123456)
        let id = UUID()
        try await db.primary.withConnection { connection in
            try await connection.execute(
                """
                CREATE TEMP TABLE rows_in (n bigint, t text, labels text[], r real, d float8, b bool,
                    at timestamptz, u uuid, v real[], missing text)
                """)
            let count = try await connection.copyFrom("COPY rows_in FROM STDIN") { writer in
                try await writer.writeRow { row in
                    row.append(Int64.min)
                    try row.append("tab\there\nnew\rline \\ back é 日本")
                    try row.append(["plain", "with \"quote\"", "back\\slash", "tab\tin", "comma,brace}"])
                    row.append(Float(1.5))
                    row.append(-0.25)
                    row.append(true)
                    row.append(when)
                    row.append(id)
                    row.append([Float(0.5), -2, 3e-8])
                    row.appendNull()
                }
                await #expect(throws: PostgresError.self) {
                    try await writer.writeRow { row in
                        row.append(2)
                        try row.append("NUL \u{0} inside")
                    }
                }
                try await writer.writeRow { row in
                    row.append(0)
                    try row.append("")
                    try row.append([String]())
                    row.append(Float.infinity)
                    row.append(Double.nan)
                    row.append(false)
                    row.append(Date(timeIntervalSince1970: 0))
                    row.append(id)
                    row.append([Float]())
                    try row.append(encodable: Optional<String>.none)
                }
            }
            #expect(count == 2)
            let first = try await connection.query("SELECT * FROM rows_in WHERE n < 0")[0]
            #expect(try first.decode(Int64.self, "n") == Int64.min)
            #expect(try first.decode(String.self, "t") == "tab\there\nnew\rline \\ back é 日本")
            #expect(try first.decode([String].self, "labels") == ["plain", "with \"quote\"", "back\\slash", "tab\tin", "comma,brace}"])
            #expect(try first.decode(Float.self, "r") == 1.5)
            #expect(try first.decode(Double.self, "d") == -0.25)
            #expect(try first.decode(Bool.self, "b"))
            #expect(abs(try first.decode(Date.self, "at").timeIntervalSince(when)) < 1e-5)
            #expect(try first.decode(UUID.self, "u") == id)
            #expect(try first.decode([Float].self, "v") == [0.5, -2, 3e-8])
            #expect(try first.decode(String?.self, "missing") == nil)
            let second = try await connection.query("SELECT * FROM rows_in WHERE n = 0")[0]
            #expect(try second.decode(String.self, "t") == "")
            #expect(try second.decode([String].self, "labels") == [])
            #expect(try second.decode(Float.self, "r") == .infinity)
            #expect(try second.decode(Double.self, "d").isNaN)
        }
    }

    /// Migration 0007: embedding columns take 384-d (local model) and 1536-d vectors,
    /// nothing else; the model table says which model has which dimension.
    @Test func embeddingColumnsAcceptTheConfiguredModelsDimension() async throws {
        let handle = try await Self.handle()
        let slug = Self.uniqueSlug("emb")
        let clientID = try await Self.makeClient(slug)
        let owner = try await PostgresConnection.connect(handle.connection.ownerURL)
        defer { owner.close() }
        // The shipped models (other suites register their own test models in the shared cluster).
        let dimensions = try await owner.query(
            "SELECT model, dimension FROM pulse_embedding_models WHERE model IN ('all-MiniLM-L6-v2', 'text-embedding-3-small') ORDER BY dimension")
        #expect(try dimensions.map { try $0.decode(String.self, "model") } == ["all-MiniLM-L6-v2", "text-embedding-3-small"])
        let leftover = try await owner.query(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND domain_name = 'vector1536'")
        #expect(try leftover[0].decode(Int.self, at: 0) == 0)
        for dimension in [384, 1536] {
            let vector = (0..<dimension).map { Float($0) / Float(dimension) }
            try await owner.query("UPDATE clients SET embedding = $1 WHERE id = $2", [vector, clientID])
            let stored = try await owner.query("SELECT embedding FROM clients WHERE id = $1", [clientID])
            #expect(try stored[0].decode([Float].self, at: 0) == vector)
        }
        for bad in [[Float](repeating: 1, count: 100), [Float](repeating: 1, count: 385), []] {
            let error = await #expect(throws: PostgresError.self) {
                try await owner.query("UPDATE clients SET embedding = $1 WHERE id = $2", [bad, clientID])
            }
            #expect(error?.sqlState == "23514")  // check_violation
        }
        let withNull = await #expect(throws: PostgresError.self) {
            try await owner.query(
                "UPDATE clients SET embedding = array_append(array_fill(0::real, ARRAY[383]), NULL) WHERE id = $1",
                [clientID])
        }
        #expect(withNull?.sqlState == "23514")
    }

    /// etl_job_runs: tenant-isolated like every tenant table, and one running run per job.
    @Test func etlJobRunsAreTenantScopedAndLeasedOnce() async throws {
        let db = try await Self.database()
        defer { Task { await db.shutdown() } }
        let a = try await Self.makeClient(Self.uniqueSlug("etla"))
        let b = try await Self.makeClient(Self.uniqueSlug("etlb"))
        let insert = """
            INSERT INTO etl_job_runs (client_id, job, status, lease_owner, lease_expires_at, started_at)
            VALUES ($1, 'jira-sync', 'running', 'etl-1', now() + interval '30 seconds', now()) RETURNING id
            """
        try await db.client(a).write { try await $0.query(insert, [a]) }
        // A second running run of the same job for the same client is refused.
        let duplicate = await #expect(throws: PostgresError.self) {
            try await db.client(a).write { try await $0.query(insert, [a]) }
        }
        #expect(duplicate?.sqlState == "23505")
        // The other client may run its own; and cannot write rows for client A.
        try await db.client(b).write { try await $0.query(insert, [b]) }
        let forged = await #expect(throws: PostgresError.self) {
            try await db.client(b).write { try await $0.query(insert, [a]) }
        }
        #expect(forged?.sqlState == "42501")
        let seen = try await db.client(b).read {
            try await $0.query("SELECT count(*) FROM etl_job_runs WHERE client_id = $1", [a])[0].decode(Int.self, at: 0)
        }
        #expect(seen == 0)
        // A lease without an owner, or a finished run without finished_at, is rejected.
        let bad = await #expect(throws: PostgresError.self) {
            try await db.client(a).write {
                try await $0.query("INSERT INTO etl_job_runs (client_id, job, status) VALUES ($1, 'x', 'succeeded')", [a])
            }
        }
        #expect(bad?.sqlState == "23514")
        // Finishing releases the slot: the job can run again.
        try await db.client(a).write {
            try await $0.query(
                """
                UPDATE etl_job_runs SET status = 'succeeded', finished_at = now(), lease_owner = NULL,
                    lease_expires_at = NULL WHERE job = 'jira-sync' AND status = 'running'
                """)
            try await $0.query(insert, [a])
        }
    }
}
