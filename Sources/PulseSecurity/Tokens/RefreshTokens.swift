import Foundation

/// Opaque refresh tokens: 256 random bits, handed to the client once, stored only as their
/// SHA-256 (a database leak yields no usable tokens). Every token belongs to a family (one
/// sign-in); each use spends the token and issues its successor in the same family.
public struct RefreshTokenSecret: Sendable, Hashable {
    /// What the client receives (base64url, 43 characters).
    public let token: String
    /// What the server stores and looks up by (hex SHA-256 of the token text).
    public let hash: String

    public static func generate() -> RefreshTokenSecret {
        let token = SecureRandom.token(byteCount: 32)
        return RefreshTokenSecret(token: token, hash: hash(of: token))
    }

    /// The storage hash of a presented token. A fast hash is right here: the input has 256
    /// bits of entropy, so there is nothing to brute-force.
    public static func hash(of token: String) -> String { Hex.encode(SHA256.hash(token)) }
}

/// The stored state of one refresh token.
public struct RefreshTokenRecord: Sendable, Hashable {
    public enum Status: Sendable, Hashable {
        case active
        /// Spent by a successful refresh; presenting it again is reuse.
        case rotated(at: Date)
        /// Revoked (logout, RFC 7009, family revocation).
        case revoked
    }

    public var hash: String
    public var familyID: String
    public var clientID: String
    public var subject: String
    public var sessionID: String?
    public var status: Status
    public var issuedAt: Date
    public var expiresAt: Date
    /// When the family (the sign-in) began; bounds its total lifetime.
    public var familyCreatedAt: Date

    public init(hash: String, familyID: String, clientID: String, subject: String, sessionID: String? = nil,
        status: Status = .active, issuedAt: Date, expiresAt: Date, familyCreatedAt: Date) {
        self.hash = hash
        self.familyID = familyID
        self.clientID = clientID
        self.subject = subject
        self.sessionID = sessionID
        self.status = status
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.familyCreatedAt = familyCreatedAt
    }
}

/// The rotation policy as a pure function: given what is stored and what was presented,
/// decide. The caller applies the decision in one transaction (mark spent + insert
/// successor, or revoke the family) and audits `reason`.
public struct RefreshTokenPolicy: Sendable {
    /// Lifetime of each individual refresh token.
    public var tokenLifetime: TimeInterval
    /// Absolute lifetime of a family: after it, the user signs in again.
    public var familyLifetime: TimeInterval

    public init(tokenLifetime: TimeInterval = 14 * 86_400, familyLifetime: TimeInterval = 30 * 86_400) {
        self.tokenLifetime = tokenLifetime
        self.familyLifetime = familyLifetime
    }

    public enum DenyReason: String, Sendable, Hashable {
        case unknownToken = "unknown_token"
        case expired
        case familyExpired = "family_expired"
        case revoked
        case familyRevoked = "family_revoked"
        case wrongClient = "wrong_client"
    }

    public enum Decision: Sendable, Hashable {
        /// Spend `spent` and store `successor`; give `secret.token` to the client.
        case rotate(spent: String, successor: RefreshTokenRecord, secret: RefreshTokenSecret)
        /// Refuse; nothing changes.
        case deny(DenyReason)
        /// A spent token came back: someone holds a copy. Revoke the whole family (and its
        /// session) so both the thief and the victim must sign in again.
        case revokeFamily(familyID: String, sessionID: String?)
    }

    /// Starts a family at sign-in.
    public func issueFirst(clientID: String, subject: String, sessionID: String?, now: Date) -> (RefreshTokenSecret, RefreshTokenRecord) {
        let secret = RefreshTokenSecret.generate()
        let record = RefreshTokenRecord(hash: secret.hash, familyID: SecureRandom.token(byteCount: 16), clientID: clientID,
            subject: subject, sessionID: sessionID, issuedAt: now, expiresAt: now.addingTimeInterval(tokenLifetime),
            familyCreatedAt: now)
        return (secret, record)
    }

    /// - Parameters:
    ///   - presented: the token text the client sent.
    ///   - stored: the record found by `RefreshTokenSecret.hash(of: presented)`, if any.
    ///   - familyRevoked: whether the family is marked revoked in storage.
    ///   - clientID: the tenant the request is made for.
    public func evaluate(presented: String, stored: RefreshTokenRecord?, familyRevoked: Bool, clientID: String, now: Date) -> Decision {
        guard let stored, ConstantTime.equals(RefreshTokenSecret.hash(of: presented), stored.hash) else {
            return .deny(.unknownToken)
        }
        guard ConstantTime.equals(stored.clientID, clientID) else { return .deny(.wrongClient) }
        switch stored.status {
        case .rotated:
            // Reuse wins over every other outcome, even when the family is already revoked
            // or expired, so the audit log records the reuse.
            return familyRevoked ? .deny(.familyRevoked) : .revokeFamily(familyID: stored.familyID, sessionID: stored.sessionID)
        case .revoked:
            return .deny(.revoked)
        case .active:
            break
        }
        if familyRevoked { return .deny(.familyRevoked) }
        if now >= stored.expiresAt { return .deny(.expired) }
        let familyEnd = stored.familyCreatedAt.addingTimeInterval(familyLifetime)
        if now >= familyEnd { return .deny(.familyExpired) }
        let secret = RefreshTokenSecret.generate()
        var successor = stored
        successor.hash = secret.hash
        successor.status = .active
        successor.issuedAt = now
        successor.expiresAt = min(now.addingTimeInterval(tokenLifetime), familyEnd)
        return .rotate(spent: stored.hash, successor: successor, secret: secret)
    }
}
