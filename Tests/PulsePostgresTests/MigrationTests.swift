import Foundation
import PulseDatabaseOps
import PulsePostgres
import PulseTestSupport
import Testing

extension ClusterSuite {
    /// A fresh database owned by pulse_owner; returns its owner connection string.
    static func freshDatabase() async throws -> (name: String, ownerURL: String) {
        let handle = try await handle()
        let name = "mig_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try await superuser()
        defer { admin.close() }
        try await admin.execute("CREATE DATABASE \(name) OWNER pulse_owner")
        let db = try await PostgresConnection.connect(
            handle.connection.superuserURL!.replacingOccurrences(of: "/pulse?", with: "/\(name)?"))
        try await db.executeScript(EmbeddedCluster.databaseGrants)
        db.close()
        return (name, handle.connection.ownerURL.replacingOccurrences(of: "/pulse?", with: "/\(name)?"))
    }

    static func copyMigrations() throws -> URL {
        let directory = URL(fileURLWithPath: "/tmp/pulse-migtest-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: PostgresTestCluster.migrationsDirectory.path) {
            try FileManager.default.copyItem(
                at: PostgresTestCluster.migrationsDirectory.appendingPathComponent(file),
                to: directory.appendingPathComponent(file))
        }
        return directory
    }

    @Test func upDownUpLeavesIdenticalSchema() async throws {
        let handle = try await Self.handle()
        let (name, ownerURL) = try await Self.freshDatabase()
        let runner = MigrationRunner(directory: PostgresTestCluster.migrationsDirectory)
        let count = try runner.load().count
        #expect(try await runner.up(ownerURL).count == count)
        #expect(try await runner.up(ownerURL).isEmpty)  // idempotent
        let first = try await handle.cluster.runTool("pg_dump", ["--schema-only", "--restrict-key=pulse", "-d", name])
        #expect(first.contains("CREATE TABLE public.work_items"))
        #expect(try await runner.down(ownerURL, steps: count).count == count)
        let empty = try await handle.cluster.runTool("pg_dump", ["--schema-only", "--restrict-key=pulse", "-d", name])
        #expect(!empty.contains("CREATE TABLE public.users"))
        try await runner.up(ownerURL)
        let second = try await handle.cluster.runTool("pg_dump", ["--schema-only", "--restrict-key=pulse", "-d", name])
        #expect(first == second)
        #expect(try await runner.status(ownerURL).allSatisfy { $0.state == .applied })
    }

    @Test func editedAppliedMigrationIsRefused() async throws {
        let (_, ownerURL) = try await Self.freshDatabase()
        let directory = try Self.copyMigrations()
        defer { try? FileManager.default.removeItem(at: directory) }
        let runner = MigrationRunner(directory: directory)
        try await runner.up(ownerURL)
        let file = directory.appendingPathComponent("0002_work_tracking.up.sql")
        try (try String(contentsOf: file, encoding: .utf8) + "\n-- edited\n").write(to: file, atomically: true, encoding: .utf8)
        do {
            try await runner.up(ownerURL)
            Issue.record("edited migration accepted")
        } catch let error as MigrationError {
            #expect("\(error)".contains("0002_work_tracking.up.sql"))
        }
        #expect(try await runner.status(ownerURL).contains { $0.version == 2 && $0.state == .modified })
    }

    @Test func syntaxErrorAppliesNothingAndNamesFileAndLine() async throws {
        let (_, ownerURL) = try await Self.freshDatabase()
        let directory = URL(fileURLWithPath: "/tmp/pulse-migtest-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "CREATE TABLE good (id int);\n".write(
            to: directory.appendingPathComponent("0001_good.up.sql"), atomically: true, encoding: .utf8)
        try "DROP TABLE good;\n".write(
            to: directory.appendingPathComponent("0001_good.down.sql"), atomically: true, encoding: .utf8)
        try "CREATE TABLE half (id int);\n-- comment\nCREAT TABLE broken (id int);\n".write(
            to: directory.appendingPathComponent("0002_bad.up.sql"), atomically: true, encoding: .utf8)
        let runner = MigrationRunner(directory: directory)
        do {
            try await runner.up(ownerURL)
            Issue.record("syntax error accepted")
        } catch let error as MigrationError {
            guard case .failed(let file, let line, _, let sqlState) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(file == "0002_bad.up.sql" && line == 3 && sqlState == "42601")
            #expect("\(error)".contains("0002_bad.up.sql:3"))
        }
        let states = try await runner.status(ownerURL)
        #expect(states.map(\.state) == [.applied, .pending])
        let owner = try await PostgresConnection.connect(ownerURL)
        defer { owner.close() }
        #expect(try await owner.query("SELECT to_regclass('half') IS NULL")[0].decode(Bool.self, at: 0))
    }

    @Test func racingMigratorsApplyOnce() async throws {
        let (_, ownerURL) = try await Self.freshDatabase()
        let runner = MigrationRunner(directory: PostgresTestCluster.migrationsDirectory)
        async let one = runner.up(ownerURL)
        async let two = runner.up(ownerURL)
        let (a, b) = try await (one, two)
        #expect(a.count + b.count == (try runner.load().count))
    }

    @Test func portInUseIsNamed() async throws {
        let handle = try await Self.handle()
        var configuration = EmbeddedClusterConfiguration(
            directory: URL(fileURLWithPath: "/tmp/pulse-porttest-\(UUID().uuidString.prefix(8))"))
        configuration.primaryPort = handle.cluster.configuration.primaryPort
        defer { try? FileManager.default.removeItem(at: configuration.directory) }
        do {
            _ = try await EmbeddedCluster(configuration: configuration).up()
            Issue.record("started on a busy port")
        } catch let error as EmbeddedClusterError {
            #expect("\(error)".contains("port \(configuration.primaryPort)"))
        }
    }

    @Test func secondUpReusesTheCluster() async throws {
        let handle = try await Self.handle()
        let again = try await handle.cluster.up()
        #expect(again == handle.connection)
        let status = try await handle.cluster.status()
        #expect(status.nodes.map(\.role) == ["primary", "standby"])
        #expect(status.description.contains("replay lag"))
        // Lag is known once the replica streams again (an earlier test may have restarted a node).
        #expect(try await Self.eventually { try await handle.cluster.status().replication?.lagBytes != nil })
    }
}

@Test func missingPostgreSQLIsAClearError() async throws {
    var configuration = EmbeddedClusterConfiguration(directory: URL(fileURLWithPath: "/tmp/pulse-nopg-\(UUID().uuidString.prefix(8))"))
    configuration.binDirectory = "/nonexistent/postgresql/bin"
    defer { try? FileManager.default.removeItem(at: configuration.directory) }
    do {
        _ = try await EmbeddedCluster(configuration: configuration).up()
        Issue.record("started without PostgreSQL")
    } catch let error as EmbeddedClusterError {
        #expect("\(error)".contains("not installed"))
    }
}
