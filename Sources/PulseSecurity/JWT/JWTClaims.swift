import Foundation

/// The claims Pulse reads and writes. Registered claims (RFC 7519), Pulse's authorization
/// claims (`client_id`, `roles`, `permissions`, `sid`, `principal`) and the OIDC id_token
/// claims the login flow needs. Numeric dates are whole seconds since the epoch. Decoding is
/// strict (`StrictJSON`): wrong member types and duplicate members are refused.
public struct JWTClaims: Sendable, Hashable, Encodable {
    public var issuer: String?
    public var subject: String?
    /// `aud`; encoded as a string when there is one audience, as an array otherwise.
    public var audience: [String]?
    public var expiresAt: Int64?
    public var notBefore: Int64?
    public var issuedAt: Int64?
    public var tokenID: String?
    /// The tenant (`client_id`).
    public var clientID: String?
    public var roles: [String]?
    public var permissions: [String]?
    /// Session id (`sid`): revoking it revokes every token of that sign-in.
    public var sessionID: String?
    /// `"service_account"` for client_credentials tokens; absent for users.
    public var principal: String?
    // OIDC id_token members.
    public var nonce: String?
    public var authorizedParty: String?
    public var email: String?
    public var emailVerified: Bool?
    public var name: String?

    public init(issuer: String? = nil, subject: String? = nil, audience: [String]? = nil, expiresAt: Int64? = nil,
        notBefore: Int64? = nil, issuedAt: Int64? = nil, tokenID: String? = nil, clientID: String? = nil,
        roles: [String]? = nil, permissions: [String]? = nil, sessionID: String? = nil, principal: String? = nil,
        nonce: String? = nil) {
        self.issuer = issuer
        self.subject = subject
        self.audience = audience
        self.expiresAt = expiresAt
        self.notBefore = notBefore
        self.issuedAt = issuedAt
        self.tokenID = tokenID
        self.clientID = clientID
        self.roles = roles
        self.permissions = permissions
        self.sessionID = sessionID
        self.principal = principal
        self.nonce = nonce
    }

    enum CodingKeys: String, CodingKey {
        case issuer = "iss", subject = "sub", audience = "aud", expiresAt = "exp", notBefore = "nbf"
        case issuedAt = "iat", tokenID = "jti", clientID = "client_id", roles, permissions
        case sessionID = "sid", principal, nonce, authorizedParty = "azp", email
        case emailVerified = "email_verified", name
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(issuer, forKey: .issuer)
        try c.encodeIfPresent(subject, forKey: .subject)
        if let audience {
            if audience.count == 1 { try c.encode(audience[0], forKey: .audience) } else { try c.encode(audience, forKey: .audience) }
        }
        try c.encodeIfPresent(expiresAt, forKey: .expiresAt)
        try c.encodeIfPresent(notBefore, forKey: .notBefore)
        try c.encodeIfPresent(issuedAt, forKey: .issuedAt)
        try c.encodeIfPresent(tokenID, forKey: .tokenID)
        try c.encodeIfPresent(clientID, forKey: .clientID)
        try c.encodeIfPresent(roles, forKey: .roles)
        try c.encodeIfPresent(permissions, forKey: .permissions)
        try c.encodeIfPresent(sessionID, forKey: .sessionID)
        try c.encodeIfPresent(principal, forKey: .principal)
        try c.encodeIfPresent(nonce, forKey: .nonce)
        try c.encodeIfPresent(authorizedParty, forKey: .authorizedParty)
        try c.encodeIfPresent(email, forKey: .email)
        try c.encodeIfPresent(emailVerified, forKey: .emailVerified)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

/// The JOSE header members we read. Any `crit` extension is refused (RFC 7515 §4.1.11:
/// we understand none), so a header cannot smuggle semantics we would ignore.
public struct JWTHeader: Sendable, Hashable, Encodable {
    public var alg: String
    public var kid: String?
    public var typ: String?
    public var crit: [String]?

    public init(alg: String, kid: String? = nil, typ: String? = nil) {
        self.alg = alg
        self.kid = kid
        self.typ = typ
    }
}
