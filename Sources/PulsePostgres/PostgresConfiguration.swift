import CLibPQ
import Foundation

/// Connection-string checks done before any socket is opened.
public enum ConnectionString {
    /// Throws `.invalidConfiguration` with libpq's reason for a malformed string.
    public static func validate(_ conninfo: String) throws {
        guard !conninfo.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw PostgresError(.invalidConfiguration, message: "empty connection string")
        }
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            let reason = errorMessage.map { String(cString: $0) } ?? "unparseable"
            if let errorMessage { PQfreemem(errorMessage) }
            throw PostgresError(
                .invalidConfiguration,
                message: "malformed connection string: \(reason.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        PQconninfoFree(options)
    }

    /// The connection string with any password replaced, for logs and status output.
    public static func redacted(_ conninfo: String) -> String {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            return "<malformed>"
        }
        defer { PQconninfoFree(options) }
        var parts: [String] = []
        var index = 0
        while let keyword = options[index].keyword {
            if let value = options[index].val {
                let key = String(cString: keyword)
                parts.append("\(key)=\(key == "password" ? "***" : String(cString: value))")
            }
            index += 1
        }
        return parts.joined(separator: " ")
    }
}

/// Pool limits and timeouts.
public struct PostgresPoolOptions: Sendable {
    /// Upper bound of open connections.
    public var maxConnections: Int = 10
    /// How long `acquire` waits for a free connection before failing with 503.
    public var acquireTimeout: Duration = .seconds(5)
    public var connectTimeout: Duration = .seconds(5)
    /// Connections older than this are closed on release and replaced.
    public var maxLifetime: Duration = .seconds(1800)
    /// An idle connection unused for longer than this is pinged before reuse.
    public var healthCheckAfterIdle: Duration = .seconds(30)
    public init() {}
}

/// Where the data layer connects and how it routes.
public struct PostgresConfiguration: Sendable {
    /// Primary (writes, read-your-writes). libpq string or URL.
    public var primary: String
    /// Streaming replica for analytics reads; nil routes everything to the primary.
    public var replica: String?
    public var primaryPool = PostgresPoolOptions()
    public var replicaPool = PostgresPoolOptions()
    /// Applied to every session (`statement_timeout`); nil keeps the server default.
    public var statementTimeout: Duration?
    /// A replica further behind than either bound is skipped until it catches up.
    public var maxReplicaLagBytes: Int64 = 16 * 1024 * 1024
    public var maxReplicaLagSeconds: Double = 30
    /// How often replica health and lag are measured.
    public var monitorInterval: Duration = .seconds(1)

    public init(primary: String, replica: String? = nil) {
        self.primary = primary
        self.replica = replica
    }

    /// Reads `DATABASE_URL` (required) and `DATABASE_REPLICA_URL`, plus optional
    /// `DATABASE_POOL_SIZE`, `DATABASE_STATEMENT_TIMEOUT_MS`, `DATABASE_MAX_REPLICA_LAG_BYTES`,
    /// `DATABASE_MAX_REPLICA_LAG_SECONDS`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> PostgresConfiguration
    {
        guard let primary = environment["DATABASE_URL"], !primary.isEmpty else {
            throw PostgresError(.invalidConfiguration, message: "DATABASE_URL is not set")
        }
        try ConnectionString.validate(primary)
        let replica = environment["DATABASE_REPLICA_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if let replica { try ConnectionString.validate(replica) }
        var configuration = PostgresConfiguration(primary: primary, replica: replica)
        func number(_ key: String) throws -> Double? {
            guard let text = environment[key], !text.isEmpty else { return nil }
            guard let value = Double(text), value >= 0 else {
                throw PostgresError(.invalidConfiguration, message: "\(key) must be a non-negative number, got \(text)")
            }
            return value
        }
        if let size = try number("DATABASE_POOL_SIZE") {
            configuration.primaryPool.maxConnections = max(1, Int(size))
            configuration.replicaPool.maxConnections = max(1, Int(size))
        }
        if let ms = try number("DATABASE_STATEMENT_TIMEOUT_MS") { configuration.statementTimeout = .milliseconds(Int(ms)) }
        if let bytes = try number("DATABASE_MAX_REPLICA_LAG_BYTES") { configuration.maxReplicaLagBytes = Int64(bytes) }
        if let seconds = try number("DATABASE_MAX_REPLICA_LAG_SECONDS") { configuration.maxReplicaLagSeconds = seconds }
        return configuration
    }
}

extension Duration {
    var nanoseconds: UInt64 {
        UInt64(max(0, components.seconds)) * 1_000_000_000 + UInt64(max(0, components.attoseconds) / 1_000_000_000)
    }
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
