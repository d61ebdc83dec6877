import ArgumentParser
import Foundation
import PulseCore

/// Options shared by `pulse db` and `pulse migrate`.
struct DatabaseLocationOptions: ParsableArguments {
    @Option(name: .long, help: "Data folder of the embedded cluster (default: .pulse in the working directory, or PULSE_DATA_DIR).")
    var dataDir: String?

    @Option(name: .long, help: "Primary port (default 5432, or PULSE_DB_PORT); the replica uses the next port.")
    var port: Int?

    func clusterConfiguration() throws -> EmbeddedClusterConfiguration {
        var configuration = try EmbeddedClusterConfiguration.fromEnvironment()
        if let dataDir { configuration.directory = URL(fileURLWithPath: dataDir) }
        if let port {
            guard (1...65534).contains(port) else { throw ValidationError("--port must be 1-65534, got \(port)") }
            configuration.primaryPort = port
        }
        return configuration
    }

    /// The owner role's connection string (migrations, operator commands): the external
    /// cluster's (`DATABASE_OWNER_URL` / `DATABASE_URL`) when set, else the embedded cluster's.
    func ownerURL() throws -> String {
        if let external = try ConnectionInfo.fromEnvironment() { return external.ownerURL }
        return try EmbeddedCluster(configuration: try clusterConfiguration()).connectionInfo().ownerURL
    }
}

/// The migrations folder: `explicit` (`--dir`), else `PULSE_MIGRATIONS_DIR`, else `migrations`.
func migrationsDirectory(_ explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
    URL(fileURLWithPath: explicit ?? environment["PULSE_MIGRATIONS_DIR"] ?? "migrations")
}

/// An operator-facing failure: printed as one line on stderr, exit status 1.
struct DatabaseCommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// `pulse db up|down|status|psql`: the embedded PostgreSQL primary + streaming replica.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Manage the embedded PostgreSQL primary and replica.",
        subcommands: [Up.self, Down.self, Status.self, Psql.self])

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create (first time) and start the primary and its streaming replica.")
        @OptionGroup var location: DatabaseLocationOptions

        func run() async throws {
            let cluster = EmbeddedCluster(configuration: try location.clusterConfiguration())
            do {
                let info = try await cluster.up()
                print("primary: \(ConnectionString.redacted(info.primaryURL))")
                if let replica = info.replicaURL { print("replica: \(ConnectionString.redacted(replica))") }
                print("credentials: \(cluster.configuration.directory.appendingPathComponent("credentials.json").path)")
            } catch {
                throw DatabaseCommandFailure("pulse db up: \(error)")
            }
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the replica and the primary (data is kept).")
        @OptionGroup var location: DatabaseLocationOptions

        func run() async throws {
            try await EmbeddedCluster(configuration: try location.clusterConfiguration()).down()
            print("pulse db: stopped")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show roles, ports and replay lag.")
        @OptionGroup var location: DatabaseLocationOptions

        func run() async throws {
            print(try await EmbeddedCluster(configuration: try location.clusterConfiguration()).status())
        }
    }

    struct Psql: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open psql on the primary (or --replica) as the superuser.",
            discussion: "Arguments after `--` go to psql, e.g. `pulse db psql -- -c 'select count(*) from clients'`.")
        @OptionGroup var location: DatabaseLocationOptions
        @Flag(help: "Connect to the replica instead.") var replica = false
        @Argument(parsing: .postTerminator, help: "Arguments passed to psql as they are (after `--`).")
        var psqlArguments: [String] = []

        func run() async throws {
            let cluster = EmbeddedCluster(configuration: try location.clusterConfiguration())
            let (executable, connection, environment) = try cluster.psqlInvocation(replica: replica)
            let arguments = connection + psqlArguments
            for (key, value) in environment { setenv(key, value, 1) }
            let argv = ([executable] + arguments).map { strdup($0) } + [nil]
            execv(executable, argv)
            throw DatabaseCommandFailure("pulse db psql: cannot run \(executable): errno \(errno)")
        }
    }
}
