import Foundation
import Synchronization

/// Remembers the WAL position of a caller's last write, so its later analytics reads
/// see that write (read-your-writes). Keep one per user session or request chain.
public final class DatabaseSession: Sendable {
    private let lastWrite = Mutex<LogSequenceNumber?>(nil)
    public init() {}

    public var lastWriteLSN: LogSequenceNumber? { lastWrite.withLock { $0 } }

    func record(_ lsn: LogSequenceNumber) {
        lastWrite.withLock { if $0 == nil || $0! < lsn { $0 = lsn } }
    }
}

/// Where a read should go.
public enum ReadRoute: Sendable {
    /// The primary (default; always current).
    case primary
    /// The streaming replica when it is healthy, within the lag bounds and has replayed
    /// the session's last write; otherwise the primary.
    case analytics
}

/// The data layer every service uses: a pool on the primary, a pool on the replica,
/// routing between them and a replica monitor.
///
/// Routing rules: writes go to the primary. Analytics reads go to the replica only if
/// the monitor saw it healthy and within `maxReplicaLag*`, and — when a `DatabaseSession`
/// is given — only once the replica's `pg_last_wal_replay_lsn()` has reached that session's
/// last commit LSN; otherwise they run on the primary. A replica read that fails because
/// the replica went away is retried on the primary and the replica is skipped until the
/// monitor finds it healthy again.
public final class PostgresDatabase: Sendable {
    public let configuration: PostgresConfiguration
    public let primary: PostgresPool
    public let replica: PostgresPool?
    /// Standalone statements on the primary, pipelined over a couple of connections per event loop
    /// (connects on first use); see `query(_:_:clientID:)`.
    public let pipeline: PostgresMultiplexer
    private let monitor: ReplicationMonitor
    private let monitorTask = Mutex<Task<Void, Never>?>(nil)

    public init(configuration: PostgresConfiguration, reactor: PostgresReactor? = nil) throws {
        let reactor = reactor ?? .shared
        self.configuration = configuration
        primary = try PostgresPool(
            conninfo: configuration.primary, options: configuration.primaryPool,
            statementTimeout: configuration.statementTimeout, reactor: reactor)
        replica = try configuration.replica.map {
            try PostgresPool(
                conninfo: $0, options: configuration.replicaPool, statementTimeout: configuration.statementTimeout,
                reactor: reactor)
        }
        pipeline = try PostgresMultiplexer(
            conninfo: configuration.primary, statementTimeout: configuration.statementTimeout,
            connectTimeout: configuration.primaryPool.connectTimeout)
        monitor = ReplicationMonitor(configuration: configuration, reactor: reactor)
        let interval = configuration.monitorInterval
        let task = Task { [monitor] in
            while !Task.isCancelled {
                await monitor.measure()
                try? await Task.sleep(for: interval)
            }
        }
        monitorTask.withLock { $0 = task }
    }

    /// Latest measurement (cheap, synchronous): for `/ready` and `/metrics`.
    public var replicationStatus: ReplicationStatus { monitor.status }

    /// Measures now instead of waiting for the next tick.
    public func refreshReplicationStatus() async -> ReplicationStatus {
        await monitor.measure()
        return monitor.status
    }

    /// Stops the monitor and closes the pools. Returns once the monitor task has ended: a
    /// measurement still connecting (libpq → OpenSSL for SCRAM) while the process exits would
    /// run into OpenSSL's exit-time cleanup and crash.
    public func shutdown() async {
        let task = monitorTask.withLock { $0 }
        task?.cancel()
        primary.shutdown()
        replica?.shutdown()
        await pipeline.shutdown()
        monitor.close()  // fails a measurement's statement in flight, so the task ends soon
        await task?.value  // a connect in progress ends within its 2 s timeout
        monitor.close()  // what that connect opened
    }

    /// One statement on the primary in its own implicit transaction (optionally in a tenant's
    /// scope), multiplexed with other tasks' statements over a pipelined connection: one round
    /// trip, no pool checkout. For several statements that must commit together, use `write`.
    @discardableResult
    public func query(
        _ sql: String, _ parameters: [any PostgresEncodable] = [], clientID: Int? = nil, format: PostgresFormat = .text
    ) async throws -> PostgresRows {
        try await pipeline.query(sql, parameters, clientID: clientID, format: format)
    }

    /// A write transaction on the primary, optionally in a tenant scope. With a session,
    /// the commit's WAL position is remembered for read-your-writes.
    @discardableResult
    public func write<T>(
        clientID: Int? = nil, session: DatabaseSession? = nil, isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresTransaction) async throws -> T
    ) async throws -> T {
        do {
            return try await writeOnPrimary(clientID: clientID, session: session, body)
        } catch let error as PostgresError where error.isConnectionFatal {
            primary.drainIdle()  // a restart killed every pooled connection, not just this one
            throw error
        }
    }

    private func writeOnPrimary<T>(
        clientID: Int?, session: DatabaseSession?, isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresTransaction) async throws -> T
    ) async throws -> T {
        try await primary.withConnection { connection in
            let value = try await connection.transaction(clientID: clientID, body)
            if let session {
                let rows = try await connection.query("SELECT pg_current_wal_lsn()::text")
                if let lsn = LogSequenceNumber(try rows[0].decode(String.self, at: 0)) { session.record(lsn) }
            }
            return value
        }
    }

    /// A read-only transaction routed by `route` (see type documentation).
    @discardableResult
    public func read<T>(
        _ route: ReadRoute = .primary, clientID: Int? = nil, session: DatabaseSession? = nil,
        isolation: isolated (any Actor)? = #isolation, _ body: (PostgresTransaction) async throws -> T
    ) async throws -> T {
        if route == .analytics, let replica, monitor.status.replicaUsable {
            if let value = try await readOnReplica(replica, clientID: clientID, session: session, body) {
                return value.value
            }
        }
        return try await primary.withConnection { connection in
            try await connection.transaction(readOnly: route == .analytics, clientID: clientID, body)
        }
    }

    /// Which server an analytics read would use right now (for tests and diagnostics).
    public func analyticsTarget(session: DatabaseSession? = nil) -> String {
        guard replica != nil, monitor.status.replicaUsable else { return "primary" }
        if let needed = session?.lastWriteLSN, (monitor.status.replayLSN ?? LogSequenceNumber(0)) < needed {
            return "primary-or-replica"
        }
        return "replica"
    }

    private struct Boxed<T> { let value: T }

    /// nil means "use the primary instead".
    private func readOnReplica<T>(
        _ replica: PostgresPool, clientID: Int?, session: DatabaseSession?, isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresTransaction) async throws -> T
    ) async throws -> Boxed<T>? {
        let connection: PostgresConnection
        do {
            connection = try await replica.acquire()
        } catch let error as PostgresError where error.code == .unavailable || error.code == .connectionLost {
            monitor.markReplicaDown("replica unreachable: \(error.message)")
            return nil
        } catch let error as PostgresError where error.code == .poolTimeout {
            return nil  // replica pool saturated: the primary can serve this read
        }
        do {
            if let needed = session?.lastWriteLSN, (monitor.status.replayLSN ?? LogSequenceNumber(0)) < needed {
                let rows = try await connection.query("SELECT pg_last_wal_replay_lsn()::text")
                guard let replay = LogSequenceNumber(try rows[0].decode(String.self, at: 0)) else {
                    replica.release(connection)
                    return nil
                }
                monitor.recordReplay(replay)
                if replay < needed {
                    replica.release(connection)
                    return nil
                }
            }
            let value = try await connection.transaction(readOnly: true, clientID: clientID, body)
            replica.release(connection)
            return Boxed(value: value)
        } catch let error as PostgresError where error.isConnectionFatal {
            replica.release(connection)
            replica.drainIdle()  // its siblings died with the same server
            monitor.markReplicaDown("replica failed during a read: \(error.message)")
            return nil
        } catch {
            replica.release(connection)
            throw error
        }
    }

    /// A handle that runs everything in one tenant's scope.
    public func client(_ clientID: Int) -> ClientScope { ClientScope(database: self, clientID: clientID) }
}

/// All queries of one tenant: each transaction sets `pulse.client_id`, which the
/// row-level security policies of every tenant table check.
public struct ClientScope: Sendable {
    public let database: PostgresDatabase
    public let clientID: Int

    @discardableResult
    public func write<T>(
        session: DatabaseSession? = nil, isolation: isolated (any Actor)? = #isolation, _ body: (PostgresTransaction) async throws -> T)
        async throws -> T
    {
        try await database.write(clientID: clientID, session: session, body)
    }

    @discardableResult
    public func read<T>(
        _ route: ReadRoute = .primary, session: DatabaseSession? = nil, isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresTransaction) async throws -> T
    ) async throws -> T {
        try await database.read(route, clientID: clientID, session: session, body)
    }

    /// One statement in this tenant's scope, pipelined (see `PostgresDatabase.query`).
    @discardableResult
    public func query(
        _ sql: String, _ parameters: [any PostgresEncodable] = [], format: PostgresFormat = .text
    ) async throws -> PostgresRows {
        try await database.query(sql, parameters, clientID: clientID, format: format)
    }
}
