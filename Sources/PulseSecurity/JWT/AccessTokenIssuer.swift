import Foundation

/// Mints Pulse access tokens with the auth service's active key: fills `iss`, `aud`, `iat`,
/// `nbf`, `exp` and a random `jti` so every token has the same shape the verifier expects.
public struct AccessTokenIssuer: Sendable {
    public let issuer: String
    public let audience: [String]
    /// Access-token lifetime; keep it short (revocation lists and key retirement are sized by it).
    public let lifetime: TimeInterval

    public static let maximumLifetime: TimeInterval = 3600

    public init(issuer: String, audience: [String], lifetime: TimeInterval = 900) throws(SecurityError) {
        guard !issuer.isEmpty, !audience.isEmpty, lifetime > 0, lifetime <= Self.maximumLifetime else {
            throw SecurityError(.invalidInput, "issuer, audience and a lifetime of at most one hour are required")
        }
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime
    }

    /// A token for a user session or (with `sessionID` nil and `kind` serviceAccount) an integrator.
    public func issue(subject: String, clientID: String, roles: [String], permissions: [String], sessionID: String?,
        kind: Identity.Kind = .user, key: SigningKey, now: Date) throws(SecurityError) -> (token: String, claims: JWTClaims) {
        guard !subject.isEmpty, !clientID.isEmpty else { throw SecurityError(.invalidInput, "subject and client id are required") }
        if kind == .serviceAccount, sessionID != nil {
            throw SecurityError(.invalidInput, "service-account tokens carry no session")
        }
        let t = Int64(now.timeIntervalSince1970)
        let claims = JWTClaims(issuer: issuer, subject: subject, audience: audience, expiresAt: t + Int64(lifetime), notBefore: t,
            issuedAt: t, tokenID: SecureRandom.token(byteCount: 16), clientID: clientID, roles: roles.sorted(),
            permissions: permissions.sorted(), sessionID: sessionID, principal: kind == .serviceAccount ? kind.rawValue : nil)
        return (try JWT.sign(claims, with: key), claims)
    }

    /// Issues with the ring's active key.
    public func issue(subject: String, clientID: String, roles: [String], permissions: [String], sessionID: String?,
        kind: Identity.Kind = .user, ring: SigningKeyRing, now: Date) throws(SecurityError) -> (token: String, claims: JWTClaims) {
        guard let key = ring.activeKey else { throw SecurityError(.invalidKey, "the key ring has no active signing key") }
        return try issue(subject: subject, clientID: clientID, roles: roles, permissions: permissions, sessionID: sessionID,
            kind: kind, key: key, now: now)
    }
}
