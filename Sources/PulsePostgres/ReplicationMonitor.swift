import Foundation
import Synchronization

/// A WAL position (`pg_lsn`), comparable.
public struct LogSequenceNumber: Sendable, Comparable, CustomStringConvertible {
    public let value: UInt64
    public init(_ value: UInt64) { self.value = value }

    /// Parses PostgreSQL's `X/Y` hex text.
    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let high = UInt64(parts[0], radix: 16), let low = UInt64(parts[1], radix: 16) else {
            return nil
        }
        value = high << 32 | low
    }

    public var description: String {
        String(value >> 32, radix: 16, uppercase: true) + "/" + String(value & 0xFFFF_FFFF, radix: 16, uppercase: true)
    }
    public static func < (a: Self, b: Self) -> Bool { a.value < b.value }
}

/// What the router knows about the primary and the replica; for `/ready` and `/metrics`.
public struct ReplicationStatus: Sendable {
    public var primaryReachable = false
    public var primaryError: String?
    public var replicaConfigured = false
    public var replicaReachable = false
    /// Analytics reads go to the replica only while this is true.
    public var replicaUsable = false
    public var lagBytes: Int64?
    public var lagSeconds: Double?
    /// Why the replica is not used (down, not in recovery, lag over a bound).
    public var reason: String?
    public var replayLSN: LogSequenceNumber?
    public var checkedAt: Date?

    /// Prometheus text lines (`pulse_db_*`).
    public var prometheusText: String {
        var lines = [
            "# TYPE pulse_db_primary_up gauge", "pulse_db_primary_up \(primaryReachable ? 1 : 0)",
            "# TYPE pulse_db_replica_up gauge", "pulse_db_replica_up \(replicaReachable ? 1 : 0)",
            "# TYPE pulse_db_replica_in_use gauge", "pulse_db_replica_in_use \(replicaUsable ? 1 : 0)",
        ]
        if let lagBytes { lines += ["# TYPE pulse_db_replica_lag_bytes gauge", "pulse_db_replica_lag_bytes \(lagBytes)"] }
        if let lagSeconds {
            lines += ["# TYPE pulse_db_replica_lag_seconds gauge", "pulse_db_replica_lag_seconds \(lagSeconds)"]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Measures replica health and lag on its own two connections (never pool slots).
/// Lag in bytes is primary `pg_current_wal_lsn()` minus replica `pg_last_wal_replay_lsn()`;
/// lag in seconds is the age of the last replayed transaction while bytes are behind
/// (0 when caught up, so an idle system does not look late).
final class ReplicationMonitor: @unchecked Sendable {
    private let configuration: PostgresConfiguration
    private let reactor: PostgresReactor
    private let state: Mutex<ReplicationStatus>
    // Touched only by `measure`, which one task at a time runs (guarded by `measuring`).
    private var primaryConnection: PostgresConnection?
    private var replicaConnection: PostgresConnection?
    private let measuring = Mutex(false)

    init(configuration: PostgresConfiguration, reactor: PostgresReactor) {
        self.configuration = configuration
        self.reactor = reactor
        var initial = ReplicationStatus()
        initial.replicaConfigured = configuration.replica != nil
        initial.reason = configuration.replica == nil ? "no replica configured" : "not measured yet"
        state = Mutex(initial)
    }

    var status: ReplicationStatus { state.withLock { $0 } }

    /// Takes the replica out of rotation at once (a read failed on it); the next
    /// successful measurement takes it back.
    func markReplicaDown(_ reason: String) {
        state.withLock {
            $0.replicaUsable = false
            $0.replicaReachable = false
            $0.reason = reason
        }
    }

    func recordReplay(_ lsn: LogSequenceNumber) {
        state.withLock { if ($0.replayLSN ?? LogSequenceNumber(0)) < lsn { $0.replayLSN = lsn } }
    }

    /// One measurement; concurrent callers wait for nothing and skip.
    func measure() async {
        guard measuring.withLock({ busy in busy ? false : { busy = true; return true }() }) else {
            // The periodic tick is measuring right now: wait for its result, so a caller that
            // asked for a fresh measurement never reads a status older than its request.
            while measuring.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
            return
        }
        defer { measuring.withLock { $0 = false } }
        var next = ReplicationStatus()
        next.replicaConfigured = configuration.replica != nil
        next.checkedAt = Date()
        var primaryLSN: LogSequenceNumber?
        do {
            let connection = try await open(&primaryConnection, configuration.primary)
            let rows = try await connection.query("SELECT pg_current_wal_lsn()::text")
            primaryLSN = LogSequenceNumber(try rows[0].decode(String.self, at: 0))
            next.primaryReachable = true
        } catch {
            primaryConnection?.close()
            primaryConnection = nil
            next.primaryError = "\(error)"
        }
        guard let replica = configuration.replica else {
            next.reason = "no replica configured"
            state.withLock { $0 = next }
            return
        }
        do {
            let connection = try await open(&replicaConnection, replica)
            let rows = try await connection.query(
                """
                SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,
                       COALESCE(EXTRACT(EPOCH FROM (clock_timestamp() - pg_last_xact_replay_timestamp())), 0)::float8
                """)
            let row = rows[0]
            next.replicaReachable = true
            let inRecovery = try row.decode(Bool.self, at: 0)
            let replay = try row.decode(String?.self, at: 1).flatMap(LogSequenceNumber.init)
            next.replayLSN = replay
            if !inRecovery {
                next.reason = "replica is not in recovery (promoted?)"
            } else if let primaryLSN, let replay {
                let bytes = replay >= primaryLSN ? 0 : Int64(primaryLSN.value - replay.value)
                let seconds = bytes == 0 ? 0 : max(0, try row.decode(Double.self, at: 2))
                next.lagBytes = bytes
                next.lagSeconds = seconds
                if bytes > configuration.maxReplicaLagBytes {
                    next.reason = "replica lag \(bytes) bytes exceeds \(configuration.maxReplicaLagBytes)"
                } else if seconds > configuration.maxReplicaLagSeconds {
                    next.reason = "replica lag \(seconds) s exceeds \(configuration.maxReplicaLagSeconds) s"
                } else {
                    next.replicaUsable = true
                }
            } else {
                next.reason = primaryLSN == nil ? "primary unreachable: lag unknown" : "replica has not replayed WAL yet"
            }
        } catch {
            replicaConnection?.close()
            replicaConnection = nil
            next.reason = "replica unreachable: \(error)"
        }
        state.withLock { $0 = next }
    }

    private func open(_ slot: inout PostgresConnection?, _ conninfo: String) async throws -> PostgresConnection {
        if let existing = slot, existing.probeIdle() { return existing }
        slot?.close()
        slot = nil
        let connection = try await PostgresConnection.connect(conninfo, reactor: reactor, timeout: .seconds(2))
        slot = connection
        return connection
    }

    func close() {
        primaryConnection?.close()
        replicaConnection?.close()
    }
}
