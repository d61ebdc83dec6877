import Foundation
import Logging
import PulsePostgres
import PulseSecurity

/// Revocations pushed by pulse-auth over PostgreSQL `LISTEN/NOTIFY`: the one implementation,
/// used by the services and (through `RevocationSubscriber`) by pulse-auth itself. Before listening (and after every reconnect) it loads the revocations
/// still relevant from the database, so nothing sent while this process was down is missed;
/// then each NOTIFY payload is delivered as it arrives — no per-request database call.
public enum RevocationFeed {
    /// pulse-auth's NOTIFY channel.
    public static let channel = "pulse_auth_revocations"

    /// Starts listening; `deliver` gets every event. Cancel the task to stop. Without a
    /// `database` there is no snapshot (pushed events only); `snapshotAtStart: false` skips the
    /// first load for a caller that has just applied one itself.
    public static func start(conninfo: String, database: PostgresDatabase?, accessTokenLifetime: TimeInterval, logger: Logger,
                             snapshotAtStart: Bool = true,
                             deliver: @escaping @Sendable ([RevocationEvent]) -> Void) throws -> Task<Void, Never> {
        @Sendable func resync() async {
            guard let database else { return }
            do {
                deliver(try await snapshot(database: database, lifetime: accessTokenLifetime))
            } catch {
                logger.error("Could not load the revocation snapshot", metadata: ["error": "\(error)"])
            }
        }
        let listener = try PostgresListener(conninfo: conninfo, channels: [channel]) {
            logger.warning("Revocation listener reconnected; reloading the revocation snapshot")
            Task { await resync() }
        }
        return Task {
            if snapshotAtStart { await resync() }
            do {
                for try await notification in listener {
                    guard let event = try? RevocationEvent(payload: notification.payload) else {
                        logger.warning("Ignored a malformed revocation payload")
                        continue
                    }
                    deliver([event])
                }
            } catch {
                if !Task.isCancelled { logger.error("Revocation listener stopped", metadata: ["error": "\(error)"]) }
            }
        }
    }

    /// Sessions revoked and service accounts disabled within one token lifetime, through the
    /// SECURITY DEFINER lookups of migration 0006 (the application role cannot read the tables).
    public static func snapshot(database: PostgresDatabase, lifetime: TimeInterval, now: Date = Date()) async throws -> [RevocationEvent] {
        let horizon = lifetime + 60
        let since = now.addingTimeInterval(-horizon)
        return try await database.read { tx in
            let sessions = try await tx.query("SELECT session_key, revoked_at FROM pulse_revoked_sessions_since($1)", since)
            let accounts = try await tx.query("SELECT client_id, account_key, disabled_at FROM pulse_disabled_service_accounts_since($1)", since)
            var events: [RevocationEvent] = []
            for row in sessions {
                let at = try row.decode(Date.self, at: 1)
                events.append(.session(id: try row.decode(UUID.self, at: 0).uuidString.lowercased(), until: at.addingTimeInterval(horizon)))
            }
            for row in accounts {
                let at = try row.decode(Date.self, at: 2)
                events.append(.subject(clientID: String(try row.decode(Int.self, at: 0)), subject: try row.decode(String.self, at: 1),
                                       issuedBefore: at.addingTimeInterval(1), until: at.addingTimeInterval(horizon)))
            }
            return events
        }
    }
}
