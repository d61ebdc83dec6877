import Foundation
import Logging
import PulsePostgres
import PulseSecurity
import PulseService

/// The NOTIFY channel that carries revocations (`RevocationEvent.payload` text).
public enum RevocationChannel {
    public static let name = RevocationFeed.channel
}

/// Feeds pushed revocations into a `TokenVerifier` (PulseService's `RevocationFeed`): a session
/// revoked anywhere is refused within a second, with no per-request database call. With a
/// `database`, the revocations of the last token lifetime are applied before this returns, and
/// again after every reconnect. Cancel the returned task to stop.
public enum RevocationSubscriber {
    public static func start(conninfo: String, verifier: TokenVerifier, database: PostgresDatabase? = nil,
                             accessTokenLifetime: TimeInterval = 3600, logger: Logger = Logger(label: "pulse.auth.revocations"))
        async throws -> Task<Void, Never>
    {
        let feed = try RevocationFeed.start(conninfo: conninfo, database: database, accessTokenLifetime: accessTokenLifetime,
                                            logger: logger, snapshotAtStart: false) { verifier.apply(contentsOf: $0) }
        if let database {
            do {
                verifier.apply(contentsOf: try await RevocationSnapshot.load(database: database, lifetime: accessTokenLifetime))
            } catch {
                logger.error("Could not load the revocation snapshot", metadata: ["error": "\(error)"])
            }
        }
        return feed
    }
}

/// The revocations still relevant now (sessions revoked and service accounts disabled within
/// one access-token lifetime), through the owner-defined lookups of migration 0006.
public enum RevocationSnapshot {
    public static func load(database: PostgresDatabase, lifetime: TimeInterval, now: Date = Date()) async throws -> [RevocationEvent] {
        try await RevocationFeed.snapshot(database: database, lifetime: lifetime, now: now)
    }
}

/// RFC 7662 introspection and RFC 7009 revocation.
extension AuthService {
    /// What `/auth/introspect` answers. Only tokens of the caller's own tenant are ever
    /// reported active; anything else is `{"active":false}`.
    func introspect(token: String, hint: String?, callerClientID: Int) async throws -> JSONBody {
        let inactive = JSONBody.object(["active": .bool(false)])
        if hint != "refresh_token", token.utf8.count <= 8192, let identity = try? await verifier.verify(token) {
            guard identity.clientID == String(callerClientID) else { return inactive }
            var members: [(String, JSONBody)] = [
                ("active", .bool(true)), ("token_type", .string("access_token")), ("sub", .string(identity.subject)),
                ("client_id", .string(identity.clientID)), ("iss", .string(configuration.issuer)),
                ("aud", .string(configuration.audience)), ("exp", .int(Int64(identity.expiresAt.timeIntervalSince1970))),
                ("scope", .string(identity.permissions.sorted().joined(separator: " "))),
                ("roles", .array(identity.roles.sorted().map(JSONBody.string))),
                ("principal", .string(identity.kind.rawValue)),
            ]
            if let sid = identity.sessionID { members.append(("sid", .string(sid))) }
            return .object(members)
        }
        guard token.utf8.count <= 128 else { return inactive }
        let hash = RefreshTokenSecret.hash(of: token)
        guard let clientID = try await store.clientID(refreshTokenHash: hash), clientID == callerClientID else { return inactive }
        let found = try await database.client(clientID).write { tx in try await store.lockRefreshToken(tx, clientID: clientID, hash: hash) }
        guard let (locked, familyRevoked) = found, !familyRevoked, locked.record.status == .active,
              locked.record.expiresAt > clock.now() else { return inactive }
        var members: [(String, JSONBody)] = [
            ("active", .bool(true)), ("token_type", .string("refresh_token")), ("sub", .string(String(locked.userID))),
            ("client_id", .string(String(clientID))), ("exp", .int(Int64(locked.record.expiresAt.timeIntervalSince1970))),
        ]
        if let sid = locked.record.sessionID { members.append(("sid", .string(sid))) }
        return .object(members)
    }

    /// RFC 7009: revokes a refresh token (its whole family and session) or the session of an
    /// access token. Unknown or invalid tokens are not an error (§2.2).
    func revoke(token: String, hint: String?, origin: RequestOrigin) async throws {
        let now = clock.now()
        if hint != "access_token", token.utf8.count <= 128 {
            let hash = RefreshTokenSecret.hash(of: token)
            if let clientID = try await store.clientID(refreshTokenHash: hash) {
                try await database.client(clientID).write { tx in
                    guard let (locked, _) = try await store.lockRefreshToken(tx, clientID: clientID, hash: hash) else { return }
                    try await store.revokeFamily(tx, familyID: locked.record.familyID, now: now)
                    if let key = locked.sessionKey, try await store.revokeSession(tx, key: key, now: now) {
                        try await publish(tx, .session(id: key.uuidString.lowercased(), until: revocationHorizon(now)))
                    }
                    try await store.audit(tx, clientID: clientID, event: "token_revoked", outcome: "success", userID: locked.userID,
                                          address: origin.address, userAgent: origin.userAgent, details: ["type": "refresh_token"], at: now)
                }
                return
            }
        }
        guard token.utf8.count <= 8192, let identity = try? await verifier.verify(token), let clientID = Int(identity.clientID) else { return }
        if let sid = identity.sessionID {
            try await endSession(clientID: clientID, sessionID: sid, userID: Int(identity.subject), origin: origin)
        } else {
            // A service-account token has no session: revoke that subject's tokens issued so far.
            try await database.client(clientID).write { tx in
                try await publish(tx, .subject(clientID: identity.clientID, subject: identity.subject,
                                               issuedBefore: now.addingTimeInterval(1), until: identity.expiresAt.addingTimeInterval(60)))
                try await store.audit(tx, clientID: clientID, event: "token_revoked", outcome: "success", actor: identity.subject,
                                      address: origin.address, userAgent: origin.userAgent, details: ["type": "access_token"], at: now)
            }
        }
    }
}
