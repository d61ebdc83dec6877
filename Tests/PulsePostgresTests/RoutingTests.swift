import Foundation
import PulsePostgres
import PulseTestSupport
import Testing

extension ClusterSuite {
    @Test func writesGoToPrimaryAnalyticsToReplica() async throws {
        let db = try await Self.database()
        defer { Task { await db.shutdown() } }
        #expect(db.replicationStatus.replicaUsable)
        #expect(try await db.write { try await Self.server($0) } == "primary")
        #expect(try await db.read(.analytics) { try await Self.server($0) } == "replica")
        #expect(try await db.read(.primary) { try await Self.server($0) } == "primary")
        let status = db.replicationStatus
        #expect(status.lagBytes != nil && status.lagSeconds != nil && status.primaryReachable)
        #expect(status.prometheusText.contains("pulse_db_replica_lag_bytes"))
        // Analytics transactions are read-only even when they land on the primary.
        await #expect(throws: PostgresError.self) {
            try await db.read(.analytics) { try await $0.query("CREATE TEMP TABLE nope (x int)") }
        }
    }

    @Test func readYourWritesWhileReplicaIsBehind() async throws {
        let db = try await Self.database { $0.maxReplicaLagSeconds = 3600 }
        defer { Task { await db.shutdown() } }
        let client = try await Self.makeClient(Self.uniqueSlug("ryw"))
        let replica = try await Self.replicaSuperuser()
        try await replica.query("SELECT pg_wal_replay_pause()")
        defer {
            Task {
                _ = try? await replica.query("SELECT pg_wal_replay_resume()")
                replica.close()
            }
        }
        let session = DatabaseSession()
        try await db.client(client).write(session: session) { transaction in
            try await transaction.query("INSERT INTO users (client_id, email) VALUES ($1, 'ryw@x.io')", [client])
        }
        #expect(session.lastWriteLSN != nil)
        // With the session: the write is visible (the router used the primary).
        let seen = try await db.client(client).read(.analytics, session: session) { transaction in
            try await transaction.query("SELECT count(*) FROM users WHERE email = 'ryw@x.io'")[0].decode(Int.self, at: 0)
        }
        #expect(seen == 1)
        // Without it, the paused replica still serves and does not have the row yet.
        let stale = try await db.client(client).read(.analytics) { transaction in
            (try await Self.server(transaction),
             try await transaction.query("SELECT count(*) FROM users WHERE email = 'ryw@x.io'")[0].decode(Int.self, at: 0))
        }
        #expect(stale.0 == "replica" && stale.1 == 0)
        try await replica.query("SELECT pg_wal_replay_resume()")
        // Once replayed, the session's reads go to the replica again.
        #expect(try await Self.eventually {
            try await db.client(client).read(.analytics, session: session) { try await Self.server($0) } == "replica"
        })
    }

    @Test func replicaBeyondLagBoundIsSkipped() async throws {
        let db = try await Self.database {
            $0.maxReplicaLagBytes = 1024
            $0.maxReplicaLagSeconds = 3600
        }
        defer { Task { await db.shutdown() } }
        let replica = try await Self.replicaSuperuser()
        try await replica.query("SELECT pg_wal_replay_pause()")
        defer {
            Task {
                _ = try? await replica.query("SELECT pg_wal_replay_resume()")
                replica.close()
            }
        }
        let client = try await Self.makeClient(Self.uniqueSlug("lag"))
        try await db.client(client).write { transaction in
            try await transaction.query(
                "INSERT INTO system_settings (client_id, setting_key, setting_value) SELECT $1, 'k' || g, to_jsonb(repeat('x', 200)) FROM generate_series(1, 200) g",
                [client])
        }
        let status = await db.refreshReplicationStatus()
        #expect(!status.replicaUsable)
        #expect(status.reason?.contains("lag") == true)
        #expect((status.lagBytes ?? 0) > 1024)
        #expect(try await db.read(.analytics) { try await Self.server($0) } == "primary")
        try await replica.query("SELECT pg_wal_replay_resume()")
        #expect(try await Self.eventually { db.replicationStatus.replicaUsable })
        #expect(try await db.read(.analytics) { try await Self.server($0) } == "replica")
    }

    @Test func replicaDownFallsBackAndIsTakenBack() async throws {
        let handle = try await Self.handle()
        let db = try await Self.database()
        defer { Task { await db.shutdown() } }
        #expect(try await db.read(.analytics) { try await Self.server($0) } == "replica")
        try await handle.cluster.stop(replica: true)
        do {
            // The pooled replica connection is dead: the read still succeeds, on the primary.
            #expect(try await db.read(.analytics) { try await Self.server($0) } == "primary")
            #expect(!db.replicationStatus.replicaUsable)
            let status = await db.refreshReplicationStatus()
            #expect(!status.replicaReachable && status.reason?.contains("unreachable") == true)
        } catch {
            try await handle.cluster.start(replica: true)
            throw error
        }
        try await handle.cluster.start(replica: true)
        #expect(try await Self.eventually { db.replicationStatus.replicaUsable })
        let server = try await db.read(.analytics) { try await Self.server($0) }
        #expect(server == "replica", "\(db.replicationStatus)")
    }

    @Test func primaryDownFailsFastThenReconnects() async throws {
        let handle = try await Self.handle()
        let db = try await Self.database()
        defer { Task { await db.shutdown() } }
        let client = try await Self.makeClient(Self.uniqueSlug("restart"))
        // Warm the pool so it holds connections that the restart will kill.
        _ = try await db.write { try await $0.query("SELECT 1") }
        try await handle.cluster.stop(replica: false)
        do {
            let started = ContinuousClock.now
            do {
                try await db.client(client).write { transaction in
                    try await transaction.query("INSERT INTO users (client_id, email) VALUES ($1, 'down@x.io')", [client])
                }
                Issue.record("write succeeded with the primary down")
            } catch let error as PostgresError {
                #expect(error.httpStatus == 503)
                #expect(ContinuousClock.now - started < .seconds(5))
            }
        } catch {
            try await handle.cluster.start(replica: false)
            throw error
        }
        try await handle.cluster.start(replica: false)
        // Reconnects transparently after the restart.
        try await db.client(client).write { transaction in
            try await transaction.query("INSERT INTO users (client_id, email) VALUES ($1, 'up@x.io')", [client])
        }
        let emails = try await db.client(client).read { transaction in
            try await transaction.query("SELECT email FROM users ORDER BY email").map { try $0.decode(String.self, at: 0) }
        }
        #expect(emails == ["up@x.io"])  // nothing half-written while it was down
        #expect(try await Self.eventually { db.replicationStatus.replicaUsable })
    }

    @Test func malformedAndUnreachableConnectionStrings() async throws {
        do {
            _ = try await PostgresConnection.connect("host=127.0.0.1 port=notaport ===")
            Issue.record("malformed accepted")
        } catch let error as PostgresError {
            #expect(error.code == .invalidConfiguration)
        }
        #expect(throws: PostgresError.self) { try PostgresConfiguration.fromEnvironment(["DATABASE_URL": "postgresql://x:y@[bad"]) }
        #expect(throws: PostgresError.self) { try PostgresConfiguration.fromEnvironment([:]) }
        let port = PostgresTestCluster.freePortPair()
        do {
            _ = try await PostgresConnection.connect("host=127.0.0.1 port=\(port) user=x dbname=x")
            Issue.record("connected to nothing")
        } catch let error as PostgresError {
            #expect(error.code == .unavailable && error.httpStatus == 503)
        }
    }
}
