import Foundation
import Logging
import PulsePostgres

/// F-MULTI: `CLIENT_NAME=acme pulse-etl --port 8001` is a dedicated instance. It resolves the
/// slug to its client, serves only that client's callers and runs only its jobs, and holds a
/// lease row in `etl_instances` (renewed every `renewSeconds`, valid `leaseSeconds`). The
/// shared instance (no `CLIENT_NAME`) skips every client with a live lease, so the two never
/// take each other's jobs; if the dedicated instance stops, its client's work falls back to
/// the shared instance once the lease has expired. Several dedicated instances of one client
/// share its queue safely (leases per job).
public enum InstanceLease {
    /// The scope named by `CLIENT_NAME` (empty or absent: shared).
    public static func scope(clientName: String?, database: PostgresDatabase) async throws -> InstanceScope {
        guard let slug = clientName?.trimmingCharacters(in: .whitespaces), !slug.isEmpty else { return .shared }
        let rows = try await database.query("SELECT pulse_client_id_for_slug($1)", [slug])
        guard let id = try rows.first?.decode(Int?.self, at: 0) else {
            throw InstanceError(message: "CLIENT_NAME=\(slug): no active client has this slug (see `pulse clients list`)")
        }
        return .dedicated(clientID: id, slug: slug)
    }

    public struct InstanceError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Takes or renews the client's lease once.
    public static func renew(clientID: Int, owner: String, leaseSeconds: Double, database: PostgresDatabase) async throws {
        try await database.query(
            """
            INSERT INTO etl_instances (client_id, instance_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
            ON CONFLICT (client_id) DO UPDATE SET instance_id = EXCLUDED.instance_id, heartbeat_at = now(), expires_at = EXCLUDED.expires_at
            """, [clientID, owner, leaseSeconds], clientID: clientID)
    }

    /// Renews the lease of a dedicated scope until the process ends.
    public static func start(scope: InstanceScope, owner: String, database: PostgresDatabase, leaseSeconds: Double = 20,
                             renewSeconds: Double = 5, logger: Logger) async throws -> Task<Void, Never>? {
        guard let clientID = scope.clientID else { return nil }
        try await renew(clientID: clientID, owner: owner, leaseSeconds: leaseSeconds, database: database)
        return Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(renewSeconds))
                do { try await renew(clientID: clientID, owner: owner, leaseSeconds: leaseSeconds, database: database) } catch {
                    logger.warning("Dedicated-instance lease renewal failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
