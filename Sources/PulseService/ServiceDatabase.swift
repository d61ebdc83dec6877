import Foundation
import Logging
import PulseDatabaseOps
import PulseObservability
import PulsePostgres

/// The database a service uses, when it has one: connected from `DATABASE_URL` (primary),
/// `DATABASE_REPLICA_URL` (analytics reads), as `pulse up` and the systemd units pass them.
/// Adds a `database` readiness check (primary reachable; replica state in words) and the
/// replication gauges to `/metrics`, refreshed by the router's own replica monitor.
public enum ServiceDatabase {
    /// Connects (lazily: pools open on first use) and registers the readiness check and
    /// metrics on `definition`; nil when no `DATABASE_URL` is set.
    public static func attach(
        to definition: inout ServiceDefinition, environment: [String: String], logger: Logger
    ) throws -> PostgresDatabase? {
        guard let info = try ConnectionInfo.fromEnvironment(environment) else { return nil }
        let database = try PostgresDatabase(configuration: info.databaseConfiguration)
        definition.readinessChecks.append(ReadinessCheck(name: "database") {
            let status = await database.refreshReplicationStatus()
            guard status.primaryReachable else {
                return .notReady("primary unreachable: \(status.primaryError ?? "no answer")")
            }
            return .ready
        })
        let metrics = definition.metrics
        let primaryUp = metrics.gauge("pulse_db_primary_up", help: "1 when the primary answered the last check.")
        let replicaUp = metrics.gauge("pulse_db_replica_up", help: "1 when the replica answered the last check.")
        let replicaInUse = metrics.gauge(
            "pulse_db_replica_in_use", help: "1 when analytics reads go to the replica (reachable and within the lag bound).")
        let lagBytes = metrics.gauge("pulse_db_replica_lag_bytes", help: "WAL bytes the replica has not replayed yet.")
        let lagSeconds = metrics.gauge(
            "pulse_db_replica_lag_seconds", help: "Age of the last replayed transaction while the replica is behind.")
        Task.detached {
            while !Task.isCancelled {
                let status = database.replicationStatus
                primaryUp.unlabelled.set(status.primaryReachable ? 1 : 0)
                replicaUp.unlabelled.set(status.replicaReachable ? 1 : 0)
                replicaInUse.unlabelled.set(status.replicaUsable ? 1 : 0)
                lagBytes.unlabelled.set(Double(status.lagBytes ?? 0))
                lagSeconds.unlabelled.set(status.lagSeconds ?? 0)
                try? await Task.sleep(for: .seconds(1))
            }
        }
        logger.info("Database configured", metadata: [
            "primary": "\(ConnectionString.redacted(info.primaryURL))",
            "replica": "\(info.replicaURL.map(ConnectionString.redacted) ?? "none")",
        ])
        return database
    }
}
