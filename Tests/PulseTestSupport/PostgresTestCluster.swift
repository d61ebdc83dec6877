import Foundation
import Glibc
import PulseDatabaseOps
import PulsePostgres

/// A throwaway PostgreSQL primary + streaming replica for the test process: started once,
/// in a unique folder under /tmp owned by `postgres`, on free ports, migrated to the
/// current schema. Swift Testing has no global teardown, so a detached watchdog shell
/// stops both servers and deletes the folder as soon as the test process exits.
public actor PostgresTestCluster {
    public static let shared = PostgresTestCluster()

    public struct Handle: Sendable {
        public let cluster: EmbeddedCluster
        public let connection: ConnectionInfo
        public let directory: URL
        /// Superuser connection string for the replica (pause replay etc.).
        public var replicaSuperuserURL: String {
            connection.superuserURL!.replacingOccurrences(
                of: ":\(cluster.configuration.primaryPort)/", with: ":\(cluster.configuration.effectiveReplicaPort)/")
        }
    }

    private var starting: Task<Handle, any Error>?

    /// The repository's `migrations/` folder.
    public static var migrationsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("migrations")
    }

    public func start() async throws -> Handle {
        if let starting { return try await starting.value }
        // A port found free can be taken before the server binds it (other tests open
        // thousands of sockets): try again, on new ports in a new folder.
        let task = Task { try await Self.dedicated() }
        starting = task
        return try await task.value
    }

    /// A cluster of the caller's own, for tests whose assertions depend on global rows other
    /// tests change (e.g. the signing keys every auth test rotates). Stopped and deleted with
    /// the test process, like the shared one.
    public static func dedicated() async throws -> Handle {
        var attempt = 1
        while true {
            do { return try await launch() } catch where attempt < 3 { attempt += 1 }
        }
    }

    /// Two consecutive free loopback ports (primary, replica).
    public static func freePortPair() -> Int { FreePorts.pair() }

    private static func launch() async throws -> Handle {
        let directory = URL(fileURLWithPath: "/tmp/pulse-pgtest-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try startWatchdog(directory: directory)
        var configuration = EmbeddedClusterConfiguration(directory: directory)
        configuration.primaryPort = freePortPair()
        // One cluster serves every suite of the parallel test process: the ETL, backend, AI and
        // auth suites each open pools and service processes against it at the same time.
        configuration.extraSettings = [
            "fsync = off", "full_page_writes = off", "shared_buffers = '32MB'", "max_connections = 500",
            "log_min_messages = warning",
        ]
        let cluster = EmbeddedCluster(configuration: configuration)
        let connection = try await cluster.up()
        try await MigrationRunner(directory: migrationsDirectory).up(connection.ownerURL)
        return Handle(cluster: cluster, connection: connection, directory: directory)
    }

    /// `sh` polls our pid; once we are gone it stops the servers and deletes the folder.
    private static func startWatchdog(directory: URL) throws {
        let bin = "/usr/lib/postgresql/15/bin"
        let asPostgres = getuid() == 0 ? "/usr/sbin/runuser -u postgres -- " : ""
        let path = directory.path
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            \(asPostgres)\(bin)/pg_ctl -D \(path)/replica -m immediate -w stop >/dev/null 2>&1
            \(asPostgres)\(bin)/pg_ctl -D \(path)/primary -m immediate -w stop >/dev/null 2>&1
            rm -rf \(path)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = ["/bin/sh", "-c", script]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }
}
