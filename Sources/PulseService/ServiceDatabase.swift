import Foundation
import Logging
import PulseDatabaseOps
import PulseObservability
import PulsePostgres

/// The database a service uses, when it has one: `DATABASE_URL` (primary) and
/// `DATABASE_REPLICA_URL` (analytics reads), as `pulse up` passes them, else the
/// `database.primary_url` / `database.replica_url` configuration keys.
/// Adds a `database` readiness check (primary reachable; replica state in words) and the
/// replication gauges to `/metrics`, refreshed by the router's own replica monitor.
public enum ServiceDatabase {
    /// Connects (lazily: pools open on first use) and registers the readiness check and
    /// metrics on `definition`; nil when no database URL is configured.
    public static func attach(
        to definition: inout ServiceDefinition, environment: [String: String], logger: Logger
    ) throws -> PostgresDatabase? {
        let configured = definition.configuration
        let info: ConnectionInfo
        if let fromEnvironment = try ConnectionInfo.fromEnvironment(environment) {
            info = fromEnvironment
        } else if !configured.databasePrimaryURL.isEmpty {
            try ConnectionString.validate(configured.databasePrimaryURL)
            if let replica = configured.databaseReplicaURL { try ConnectionString.validate(replica) }
            info = ConnectionInfo(primaryURL: configured.databasePrimaryURL, replicaURL: configured.databaseReplicaURL,
                                  ownerURL: configured.databasePrimaryURL)
        } else {
            return nil
        }
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
