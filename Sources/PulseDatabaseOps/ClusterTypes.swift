import Foundation
import PulsePostgres

/// Failures of `pulse db` and `pulse migrate`, each with a message an operator can act on.
public enum EmbeddedClusterError: Error, CustomStringConvertible, Sendable {
    case missingBinary(String)
    case portInUse(Int, role: String)
    case commandFailed(String, String)
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .missingBinary(let path):
            return "PostgreSQL is not installed: \(path) not found (install postgresql-15, "
                + "or set DATABASE_URL to use an external cluster)"
        case .portInUse(let port, let role):
            return "port \(port) for the \(role) is already in use by another process; "
                + "stop it or choose another port (--port / PULSE_DB_PORT)"
        case .commandFailed(let command, let output):
            return "\(command) failed: \(output.trimmingCharacters(in: .whitespacesAndNewlines))"
        case .invalidConfiguration(let message):
            return message
        }
    }
}

/// Where the embedded primary and replica live and listen.
public struct EmbeddedClusterConfiguration: Sendable {
    /// Data folder; `primary/`, `replica/`, `logs/`, `run/` and `credentials.json` go inside.
    public var directory: URL
    public var primaryPort: Int = 5432
    /// Defaults to the port after the primary's.
    public var replicaPort: Int?
    public var withReplica = true
    public var binDirectory = "/usr/lib/postgresql/15/bin"
    public var database = "pulse"
    /// OS user that runs PostgreSQL when we are root.
    public var osUser = "postgres"
    /// Extra `postgresql.conf` lines (tests use `fsync = off`).
    public var extraSettings: [String] = []

    public init(directory: URL? = nil) {
        self.directory =
            directory ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".pulse")
    }

    public var effectiveReplicaPort: Int { replicaPort ?? primaryPort + 1 }
    var primaryDirectory: String { directory.appendingPathComponent("primary").path }
    /// True once `up()` has created the primary here (its data folder holds PG_VERSION).
    public var isInitialized: Bool { FileManager.default.fileExists(atPath: primaryDirectory + "/PG_VERSION") }
    var replicaDirectory: String { directory.appendingPathComponent("replica").path }
    var socketDirectory: String { directory.appendingPathComponent("run").path }
    var logDirectory: String { directory.appendingPathComponent("logs").path }
    func tool(_ name: String) -> String { binDirectory + "/" + name }

    /// Reads `PULSE_DATA_DIR`, `PULSE_DB_PORT`, `PULSE_DB_REPLICA_PORT`, `PULSE_PG_BIN`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> EmbeddedClusterConfiguration
    {
        var configuration = EmbeddedClusterConfiguration(
            directory: environment["PULSE_DATA_DIR"].map { URL(fileURLWithPath: $0) })
        if let text = environment["PULSE_DB_PORT"] {
            guard let port = Int(text), (1...65534).contains(port) else {
                throw EmbeddedClusterError.invalidConfiguration("PULSE_DB_PORT must be a port number, got \(text)")
            }
            configuration.primaryPort = port
        }
        if let text = environment["PULSE_DB_REPLICA_PORT"] {
            guard let port = Int(text), (1...65535).contains(port) else {
                throw EmbeddedClusterError.invalidConfiguration("PULSE_DB_REPLICA_PORT must be a port number, got \(text)")
            }
            configuration.replicaPort = port
        }
        if let bin = environment["PULSE_PG_BIN"] { configuration.binDirectory = bin }
        return configuration
    }
}

/// How services, migrations and operators connect.
public struct ConnectionInfo: Sendable, Codable, Equatable {
    /// Application role (no BYPASSRLS, owns nothing) on the primary.
    public var primaryURL: String
    /// Application role on the replica, if any.
    public var replicaURL: String?
    /// Owner role that runs migrations.
    public var ownerURL: String
    /// Superuser, embedded clusters only (tests, `pulse db psql`).
    public var superuserURL: String?

    public init(primaryURL: String, replicaURL: String?, ownerURL: String, superuserURL: String? = nil) {
        self.primaryURL = primaryURL
        self.replicaURL = replicaURL
        self.ownerURL = ownerURL
        self.superuserURL = superuserURL
    }

    /// External cluster from `DATABASE_URL`, `DATABASE_REPLICA_URL` and `DATABASE_OWNER_URL`
    /// (migrations; defaults to `DATABASE_URL`). nil when `DATABASE_URL` is unset.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> ConnectionInfo?
    {
        guard let primary = environment["DATABASE_URL"], !primary.isEmpty else { return nil }
        try ConnectionString.validate(primary)
        let replica = environment["DATABASE_REPLICA_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if let replica { try ConnectionString.validate(replica) }
        let owner = environment["DATABASE_OWNER_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? primary
        try ConnectionString.validate(owner)
        return ConnectionInfo(primaryURL: primary, replicaURL: replica, ownerURL: owner)
    }

    /// Data-layer configuration for a service.
    public var databaseConfiguration: PostgresConfiguration {
        PostgresConfiguration(primary: primaryURL, replica: replicaURL)
    }

    /// `DATABASE_URL`-style variables to hand to service processes.
    public var environment: [String: String] {
        var env = ["DATABASE_URL": primaryURL, "DATABASE_OWNER_URL": ownerURL]
        if let replicaURL { env["DATABASE_REPLICA_URL"] = replicaURL }
        return env
    }
}

/// One node as `pulse db status` reports it.
public struct NodeStatus: Sendable {
    public let name: String
    public let port: Int
    public let running: Bool
    /// "primary" or "standby" (from `pg_is_in_recovery()`), nil when not reachable.
    public let role: String?
}

public struct ClusterStatus: Sendable, CustomStringConvertible {
    public let directory: String
    public let nodes: [NodeStatus]
    public let replication: ReplicationStatus?

    public var description: String {
        var lines = ["data folder: \(directory)"]
        for node in nodes {
            let state = node.running ? "running" : "stopped"
            lines.append("\(node.name): \(state), port \(node.port), role \(node.role ?? "unknown")")
        }
        if let replication, replication.replicaConfigured {
            let bytes = replication.lagBytes.map { "\($0) bytes" } ?? "unknown"
            let seconds = replication.lagSeconds.map { String(format: "%.3f s", $0) } ?? "unknown"
            lines.append("replay lag: \(bytes), \(seconds)")
            if let reason = replication.reason, !replication.replicaUsable { lines.append("replica not in use: \(reason)") }
        }
        return lines.joined(separator: "\n")
    }
}
