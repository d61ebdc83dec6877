import Foundation
import PulsePostgres

/// A local PostgreSQL 15 primary plus a streaming replica under one data folder:
/// what `pulse db up` and `pulse up` start. Every step checks what already exists, so a
/// second `up` reuses the cluster.
public struct EmbeddedCluster: Sendable {
    public let configuration: EmbeddedClusterConfiguration
    static let slotName = "pulse_replica_slot"

    public init(configuration: EmbeddedClusterConfiguration) { self.configuration = configuration }

    /// Generated role passwords, kept in `credentials.json` (mode 0600).
    struct Credentials: Codable {
        var superuser: String
        var owner: String
        var app: String
        var replication: String
    }

    var user: String { configuration.osUser }

    // MARK: up

    /// Initialises (first time) and starts primary and replica; returns how to connect.
    public func up() async throws -> ConnectionInfo {
        try checkBinaries()
        let fm = FileManager.default
        for path in [configuration.directory.path, configuration.socketDirectory, configuration.logDirectory] {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
            try await ProcessRunner.chown(path, to: user)
        }
        try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: configuration.socketDirectory)
        // Name a busy port before doing any work (a second `up` finds its own servers running).
        if !(try await isRunning(configuration.primaryDirectory)) && !ProcessRunner.isPortFree(configuration.primaryPort) {
            throw EmbeddedClusterError.portInUse(configuration.primaryPort, role: "primary")
        }
        if configuration.withReplica, !(try await isRunning(configuration.replicaDirectory)),
            !ProcessRunner.isPortFree(configuration.effectiveReplicaPort)
        {
            throw EmbeddedClusterError.portInUse(configuration.effectiveReplicaPort, role: "replica")
        }
        let credentials = try loadOrCreateCredentials()
        if !configuration.isInitialized {
            try await initPrimary(credentials)
        }
        try writeSettings(configuration.primaryDirectory, port: configuration.primaryPort)
        try await start(configuration.primaryDirectory, port: configuration.primaryPort, role: "primary")
        try await bootstrap(credentials)
        if configuration.withReplica {
            if !fm.fileExists(atPath: configuration.replicaDirectory + "/PG_VERSION") {
                try await baseBackup(credentials)
            }
            try writeSettings(configuration.replicaDirectory, port: configuration.effectiveReplicaPort)
            try await start(configuration.replicaDirectory, port: configuration.effectiveReplicaPort, role: "replica")
        }
        return connectionInfo(credentials)
    }

    /// Connection strings for the running cluster (credentials must exist).
    public func connectionInfo() throws -> ConnectionInfo {
        guard let credentials = try loadCredentials() else {
            throw EmbeddedClusterError.invalidConfiguration(
                "no cluster in \(configuration.directory.path); run `pulse db up` first")
        }
        return connectionInfo(credentials)
    }

    func connectionInfo(_ credentials: Credentials) -> ConnectionInfo {
        func url(_ role: String, _ password: String, _ port: Int, _ database: String) -> String {
            "postgresql://\(role):\(password)@127.0.0.1:\(port)/\(database)?application_name=pulse"
        }
        let db = configuration.database
        return ConnectionInfo(
            primaryURL: url("pulse_app", credentials.app, configuration.primaryPort, db),
            replicaURL: configuration.withReplica
                ? url("pulse_app", credentials.app, configuration.effectiveReplicaPort, db) : nil,
            ownerURL: url("pulse_owner", credentials.owner, configuration.primaryPort, db),
            superuserURL: url("postgres", credentials.superuser, configuration.primaryPort, db))
    }

    func checkBinaries() throws {
        for tool in ["initdb", "pg_ctl", "pg_basebackup", "postgres"]
        where !FileManager.default.isExecutableFile(atPath: configuration.tool(tool)) {
            throw EmbeddedClusterError.missingBinary(configuration.tool(tool))
        }
    }

    private var credentialsPath: String { configuration.directory.appendingPathComponent("credentials.json").path }

    func loadCredentials() throws -> Credentials? {
        guard let data = FileManager.default.contents(atPath: credentialsPath) else { return nil }
        return try JSONDecoder().decode(Credentials.self, from: data)
    }

    private func loadOrCreateCredentials() throws -> Credentials {
        if let existing = try loadCredentials() { return existing }
        func secret() -> String {
            var generator = SystemRandomNumberGenerator()  // getrandom(2)
            return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        }
        let credentials = Credentials(superuser: secret(), owner: secret(), app: secret(), replication: secret())
        let data = try JSONEncoder().encode(credentials)
        guard FileManager.default.createFile(atPath: credentialsPath, contents: data, attributes: [.posixPermissions: 0o600])
        else { throw EmbeddedClusterError.commandFailed("write \(credentialsPath)", "cannot create file") }
        return credentials
    }

    private func initPrimary(_ credentials: Credentials) async throws {
        let passwordFile = configuration.socketDirectory + "/.initdb-password"
        _ = FileManager.default.createFile(
            atPath: passwordFile, contents: Data(credentials.superuser.utf8), attributes: [.posixPermissions: 0o600])
        defer { try? FileManager.default.removeItem(atPath: passwordFile) }
        try await ProcessRunner.chown(passwordFile, to: user)
        try await check(
            "initdb",
            [
                "-D", configuration.primaryDirectory, "-U", "postgres", "--pwfile=\(passwordFile)", "-E", "UTF8",
                "--no-locale", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync",
            ])
        let conf = configuration.primaryDirectory + "/postgresql.conf"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: conf))
        handle.seekToEndOfFile()
        handle.write(Data("\ninclude_if_exists = 'pulse.conf'\n".utf8))
        try handle.close()
    }

    /// Our settings live in `pulse.conf` (rewritten on each `up`, so the port can change).
    private func writeSettings(_ dataDirectory: String, port: Int) throws {
        let lines =
            [
                "listen_addresses = '127.0.0.1'", "port = \(port)",
                "unix_socket_directories = '\(configuration.socketDirectory)'",
                "wal_level = replica", "max_wal_senders = 10", "max_replication_slots = 10",
                "wal_keep_size = '256MB'", "hot_standby = on", "hot_standby_feedback = on",
                "wal_retrieve_retry_interval = '500ms'", "max_connections = 200",
                "password_encryption = 'scram-sha-256'",
            ] + configuration.extraSettings
        let path = dataDirectory + "/pulse.conf"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        if ProcessRunner.isRoot {
            try FileManager.default.setAttributes([.ownerAccountName: user, .groupOwnerAccountName: user], ofItemAtPath: path)
        }
    }

    func isRunning(_ dataDirectory: String) async throws -> Bool {
        guard FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") else { return false }
        let result = try await ProcessRunner.run(configuration.tool("pg_ctl"), ["-D", dataDirectory, "status"], asUser: user)
        return result.status == 0
    }

    private func start(_ dataDirectory: String, port: Int, role: String) async throws {
        if try await isRunning(dataDirectory) { return }
        guard ProcessRunner.isPortFree(port) else { throw EmbeddedClusterError.portInUse(port, role: role) }
        let log = configuration.logDirectory + "/\(role).log"
        try await check("pg_ctl", ["-D", dataDirectory, "-l", log, "-w", "-t", "120", "start"], logFile: log)
    }

    /// Roles, database, privileges and the replication slot; each created only if missing.
    private func bootstrap(_ credentials: Credentials) async throws {
        let base = "host=127.0.0.1 port=\(configuration.primaryPort) user=postgres password=\(credentials.superuser)"
        let admin = try await PostgresConnection.connect(base + " dbname=postgres")
        defer { admin.close() }
        let roles: [(String, String, String)] = [
            ("pulse_owner", credentials.owner, "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB"),
            ("pulse_app", credentials.app, "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB NOINHERIT"),
            ("pulse_replicator", credentials.replication, "LOGIN REPLICATION NOSUPERUSER NOBYPASSRLS"),
        ]
        for (name, password, options) in roles {
            let exists = try await admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name]).count > 0
            // Identifiers and passwords here are our own constants and hex secrets, never input.
            let verb = exists ? "ALTER" : "CREATE"
            try await admin.execute("\(verb) ROLE \(name) \(options) PASSWORD '\(password)'")
        }
        let database = configuration.database
        if try await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]).count == 0 {
            try await admin.execute("CREATE DATABASE \"\(database)\" OWNER pulse_owner")
        }
        if try await admin.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", [Self.slotName]).count == 0 {
            try await admin.query("SELECT pg_create_physical_replication_slot($1)", [Self.slotName])
        }
        let db = try await PostgresConnection.connect(base + " dbname=\(database)")
        defer { db.close() }
        try await db.executeScript(Self.databaseGrants)
    }

    /// Privileges every Pulse database needs; also what an external cluster's admin runs.
    public static let databaseGrants = """
        ALTER SCHEMA public OWNER TO pulse_owner;
        REVOKE CREATE ON SCHEMA public FROM PUBLIC;
        GRANT USAGE ON SCHEMA public TO pulse_app;
        ALTER DEFAULT PRIVILEGES FOR ROLE pulse_owner IN SCHEMA public
            GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO pulse_app;
        ALTER DEFAULT PRIVILEGES FOR ROLE pulse_owner IN SCHEMA public
            GRANT USAGE, SELECT ON SEQUENCES TO pulse_app;
        """

    private func baseBackup(_ credentials: Credentials) async throws {
        try await check(
            "pg_basebackup",
            [
                "-h", "127.0.0.1", "-p", String(configuration.primaryPort), "-U", "pulse_replicator",
                "-D", configuration.replicaDirectory, "-R", "-S", Self.slotName, "-X", "stream", "-c", "fast",
                "--no-sync",
            ], environment: ["PGPASSWORD": credentials.replication])
    }

    private func check(_ tool: String, _ arguments: [String], environment: [String: String] = [:], logFile: String? = nil)
        async throws
    {
        let result = try await ProcessRunner.run(
            configuration.tool(tool), arguments, asUser: user, environment: environment)
        guard result.status == 0 else {
            var output = result.stderr + result.stdout
            if let logFile, let log = try? String(contentsOfFile: logFile, encoding: .utf8) {
                output += "\n" + log.split(separator: "\n").suffix(10).joined(separator: "\n")
            }
            throw EmbeddedClusterError.commandFailed(tool, output)
        }
    }

    // MARK: down, status

    /// Stops replica then primary (fast shutdown); data stays.
    public func down() async throws {
        for directory in [configuration.replicaDirectory, configuration.primaryDirectory]
        where try await isRunning(directory) {
            try await check("pg_ctl", ["-D", directory, "-m", "fast", "-w", "stop"])
        }
    }

    /// Stops one node (tests use this to simulate failures).
    public func stop(replica: Bool) async throws {
        let directory = replica ? configuration.replicaDirectory : configuration.primaryDirectory
        if try await isRunning(directory) { try await check("pg_ctl", ["-D", directory, "-m", "fast", "-w", "stop"]) }
    }

    /// Starts one node again.
    public func start(replica: Bool) async throws {
        if replica {
            try await start(configuration.replicaDirectory, port: configuration.effectiveReplicaPort, role: "replica")
        } else {
            try await start(configuration.primaryDirectory, port: configuration.primaryPort, role: "primary")
        }
    }

    /// Roles, ports and replay lag.
    public func status() async throws -> ClusterStatus {
        var nodes: [NodeStatus] = []
        var replication: ReplicationStatus?
        let credentials = try loadCredentials()
        let specs = [("primary", configuration.primaryDirectory, configuration.primaryPort)]
            + (configuration.withReplica ? [("replica", configuration.replicaDirectory, configuration.effectiveReplicaPort)] : [])
        for (name, directory, port) in specs {
            let running = try await isRunning(directory)
            var role: String?
            if running, let credentials {
                let url = "host=127.0.0.1 port=\(port) user=postgres password=\(credentials.superuser) dbname=postgres"
                if let connection = try? await PostgresConnection.connect(url, timeout: .seconds(3)) {
                    let recovery = try? await connection.query("SELECT pg_is_in_recovery()").first?.decode(Bool.self, at: 0)
                    role = recovery.map { $0 ? "standby" : "primary" }
                    connection.close()
                }
            }
            nodes.append(NodeStatus(name: name, port: port, running: running, role: role))
        }
        if let credentials, nodes.first?.running == true {
            let info = connectionInfo(credentials)
            var config = PostgresConfiguration(primary: info.superuserURL!, replica: nil)
            if configuration.withReplica {
                config.replica = info.superuserURL!.replacingOccurrences(
                    of: ":\(configuration.primaryPort)/", with: ":\(configuration.effectiveReplicaPort)/")
            }
            let database = try PostgresDatabase(configuration: config)
            replication = await database.refreshReplicationStatus()
            await database.shutdown()
        }
        return ClusterStatus(directory: configuration.directory.path, nodes: nodes, replication: replication)
    }

    /// The argument vector that opens psql on the primary (or replica) as the superuser.
    public func psqlInvocation(replica: Bool = false) throws -> (executable: String, arguments: [String], environment: [String: String]) {
        guard let credentials = try loadCredentials() else {
            throw EmbeddedClusterError.invalidConfiguration("no cluster in \(configuration.directory.path); run `pulse db up`")
        }
        let port = replica ? configuration.effectiveReplicaPort : configuration.primaryPort
        return (
            configuration.tool("psql"),
            ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", configuration.database],
            ["PGPASSWORD": credentials.superuser]
        )
    }

    /// Runs a PostgreSQL client tool (pg_dump, psql, pgbench) against the primary as the superuser.
    /// (pg_dump output carries a random `\\restrict` key per run unless `--restrict-key` is given.)
    public func runTool(_ tool: String, _ arguments: [String]) async throws -> String {
        guard let credentials = try loadCredentials() else {
            throw EmbeddedClusterError.invalidConfiguration("no cluster in \(configuration.directory.path)")
        }
        let result = try await ProcessRunner.run(
            configuration.tool(tool), ["-h", "127.0.0.1", "-p", String(configuration.primaryPort), "-U", "postgres"] + arguments,
            asUser: user, environment: ["PGPASSWORD": credentials.superuser])
        guard result.status == 0 else { throw EmbeddedClusterError.commandFailed(tool, result.stderr) }
        return result.stdout
    }
}
