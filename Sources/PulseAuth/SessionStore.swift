import Foundation
import PulsePostgres
import PulseSecurity

/// A sign-in session row.
struct StoredSession: Sendable {
    var rowID: Int
    var key: UUID
    var userID: Int
    var expiresAt: Date
    var revokedAt: Date?
}

/// A refresh-token row locked for the rotation decision, with its family's state.
struct LockedRefreshToken: Sendable {
    var rowID: Int64
    var clientID: Int
    var userID: Int
    var sessionRowID: Int?
    var sessionKey: UUID?
    var record: RefreshTokenRecord
}

/// Sessions (cookie value stored as SHA-256) and refresh tokens (SHA-256, families).
extension AuthStore {
    /// Inserts a session; the cookie secret is returned once and stored hashed.
    func createSession(_ tx: PostgresTransaction, clientID: Int, userID: Int, cookieSecret: String, address: String?,
                       userAgent: String?, expiresAt: Date, now: Date) async throws -> (rowID: Int, key: UUID) {
        let key = UUID()
        let rowID = try await tx.query(
            """
            INSERT INTO user_sessions (client_id, user_id, session_key, token_hash, ip_address, user_agent, expires_at, last_seen_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
            """,
            clientID, userID, key, Data(SHA256.hash(cookieSecret)), address.map { String($0.prefix(64)) },
            userAgent.map { String($0.prefix(512)) }, expiresAt, now)[0].decode(Int.self, at: 0)
        return (rowID, key)
    }

    func session(clientID: Int, cookieSecret: String) async throws -> StoredSession? {
        try await database.client(clientID).read { tx in
            try await tx.query(
                "SELECT id, session_key, user_id, expires_at, revoked_at FROM user_sessions WHERE token_hash = $1",
                Data(SHA256.hash(cookieSecret))
            ).first.map(Self.session)
        }
    }

    func session(clientID: Int, key: UUID) async throws -> StoredSession? {
        try await database.client(clientID).read { tx in
            try await tx.query(
                "SELECT id, session_key, user_id, expires_at, revoked_at FROM user_sessions WHERE session_key = $1", key
            ).first.map(Self.session)
        }
    }

    private static func session(_ row: PostgresRow) throws -> StoredSession {
        StoredSession(rowID: try row.decode(Int.self, "id"), key: try row.decode(UUID.self, "session_key"),
                      userID: try row.decode(Int.self, "user_id"), expiresAt: try row.decode(Date.self, "expires_at"),
                      revokedAt: try row.decode(Date?.self, "revoked_at"))
    }

    /// Marks the session and every refresh token of it revoked. Returns false when it was
    /// already revoked or does not exist in this tenant.
    @discardableResult
    func revokeSession(_ tx: PostgresTransaction, key: UUID, now: Date) async throws -> Bool {
        let rows = try await tx.query(
            "UPDATE user_sessions SET revoked_at = $2 WHERE session_key = $1 AND revoked_at IS NULL RETURNING id", key, now)
        guard let rowID = try rows.first?.decode(Int.self, at: 0) else { return false }
        try await tx.query("UPDATE refresh_tokens SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL", rowID, now)
        return true
    }

    // MARK: Refresh tokens

    func insertRefreshToken(_ tx: PostgresTransaction, clientID: Int, userID: Int, sessionRowID: Int?, record: RefreshTokenRecord,
                            parentID: Int64?) async throws {
        guard let family = UUID(uuidString: record.familyID) else { throw AuthInternalError.corruptRow("refresh token family") }
        try await tx.query(
            """
            INSERT INTO refresh_tokens (client_id, user_id, session_id, token_hash, family_id, parent_id, expires_at, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            clientID, userID, sessionRowID, Data(try Hex.decode(record.hash)), family, parentID, record.expiresAt, record.issuedAt)
    }

    /// The tenant a refresh token belongs to (owner-defined lookup; reveals only the id).
    func clientID(refreshTokenHash hash: String) async throws -> Int? {
        guard let bytes = try? Hex.decode(hash) else { return nil }
        return try await database.read { tx in
            try await tx.query("SELECT pulse_client_id_for_refresh_token($1)", Data(bytes)).first?.decode(Int?.self, at: 0)
        }
    }

    /// Loads and row-locks the token (`FOR UPDATE`, so two concurrent refreshes serialise and
    /// the second sees the token spent), with whether its family or session is revoked.
    func lockRefreshToken(_ tx: PostgresTransaction, clientID: Int, hash: String) async throws -> (LockedRefreshToken, familyRevoked: Bool)? {
        let rows = try await tx.query(
            """
            SELECT t.id, t.user_id, t.session_id, s.session_key, t.family_id, t.expires_at, t.spent_at, t.revoked_at, t.created_at,
                   (SELECT min(f.created_at) FROM refresh_tokens f WHERE f.family_id = t.family_id) AS family_created_at,
                   (EXISTS (SELECT 1 FROM refresh_tokens f WHERE f.family_id = t.family_id AND f.revoked_at IS NOT NULL)
                    OR s.revoked_at IS NOT NULL) AS family_revoked
            FROM refresh_tokens t LEFT JOIN user_sessions s ON s.client_id = t.client_id AND s.id = t.session_id
            WHERE t.token_hash = $1 AND t.user_id IS NOT NULL
            FOR UPDATE OF t
            """, Data(try Hex.decode(hash)))
        guard let row = rows.first else { return nil }
        let userID = try row.decode(Int.self, "user_id")
        let sessionKey = try row.decode(UUID?.self, "session_key")
        let status: RefreshTokenRecord.Status
        if try row.decode(Date?.self, "revoked_at") != nil {
            status = .revoked
        } else if let spent = try row.decode(Date?.self, "spent_at") {
            status = .rotated(at: spent)
        } else {
            status = .active
        }
        let record = RefreshTokenRecord(
            hash: hash, familyID: try row.decode(UUID.self, "family_id").uuidString, clientID: String(clientID),
            subject: String(userID), sessionID: sessionKey?.uuidString.lowercased(), status: status,
            issuedAt: try row.decode(Date.self, "created_at"), expiresAt: try row.decode(Date.self, "expires_at"),
            familyCreatedAt: try row.decode(Date.self, "family_created_at"))
        let locked = LockedRefreshToken(rowID: try row.decode(Int64.self, "id"), clientID: clientID, userID: userID,
                                        sessionRowID: try row.decode(Int?.self, "session_id"), sessionKey: sessionKey, record: record)
        return (locked, try row.decode(Bool.self, "family_revoked"))
    }

    func markSpent(_ tx: PostgresTransaction, rowID: Int64, now: Date) async throws {
        try await tx.query("UPDATE refresh_tokens SET spent_at = $2 WHERE id = $1", rowID, now)
    }

    func revokeFamily(_ tx: PostgresTransaction, familyID: String, now: Date) async throws {
        guard let family = UUID(uuidString: familyID) else { return }
        try await tx.query("UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL", family, now)
    }
}

/// A row the service wrote cannot be read back as written (never caused by client input).
enum AuthInternalError: Error, CustomStringConvertible {
    case corruptRow(String)
    case noSigningKey
    var description: String {
        switch self {
        case .corruptRow(let what): return "stored \(what) is malformed"
        case .noSigningKey: return "no usable signing key"
        }
    }
}
