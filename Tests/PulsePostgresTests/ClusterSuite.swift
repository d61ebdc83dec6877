import Foundation
import PulseDatabaseOps
import PulsePostgres
import PulseTestSupport
import Testing

/// Every test that needs the shared primary + replica. Serialized: some of them stop the
/// replica or restart the primary, which must not overlap with the others.
@Suite(.serialized) struct ClusterSuite {
    static func handle() async throws -> PostgresTestCluster.Handle {
        try await PostgresTestCluster.shared.start()
    }

    /// A database handle with a fast monitor, for one test.
    static func database(_ tweak: (inout PostgresConfiguration) -> Void = { _ in }) async throws -> PostgresDatabase {
        let handle = try await handle()
        var configuration = PostgresConfiguration(
            primary: handle.connection.primaryURL, replica: handle.connection.replicaURL)
        configuration.monitorInterval = .milliseconds(100)
        tweak(&configuration)
        let database = try PostgresDatabase(configuration: configuration)
        _ = await database.refreshReplicationStatus()
        return database
    }

    static func superuser() async throws -> PostgresConnection {
        try await PostgresConnection.connect(try await handle().connection.superuserURL!)
    }

    static func replicaSuperuser() async throws -> PostgresConnection {
        try await PostgresConnection.connect(try await handle().replicaSuperuserURL)
    }

    /// Creates a client as the owner role and returns its id.
    static func makeClient(_ slug: String) async throws -> Int {
        let owner = try await PostgresConnection.connect(try await handle().connection.ownerURL)
        defer { owner.close() }
        let rows = try await owner.query(
            """
            INSERT INTO clients (name, slug) VALUES ($1, $2)
            ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name RETURNING id
            """, [slug.uppercased(), slug])
        return try rows[0].decode(Int.self, at: 0)
    }

    static func uniqueSlug(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Polls `condition` until true or `timeout` passes.
    static func eventually(
        _ timeout: Duration = .seconds(20), _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Which server a transaction ran on.
    static func server(_ transaction: PostgresTransaction) async throws -> String {
        try await transaction.query("SELECT pg_is_in_recovery()")[0].decode(Bool.self, at: 0) ? "replica" : "primary"
    }
}
