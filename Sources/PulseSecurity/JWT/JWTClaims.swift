import Foundation

/// The claims Pulse reads and writes. Registered claims (RFC 7519), Pulse's authorization
/// claims (`client_id`, `roles`, `permissions`, `sid`, `principal`) and the OIDC id_token
/// claims the login flow needs. Numeric dates are whole seconds since the epoch.
public struct JWTClaims: Sendable, Hashable, Codable {
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

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        issuer = try c.decodeIfPresent(String.self, forKey: .issuer)
        subject = try c.decodeIfPresent(String.self, forKey: .subject)
        if let single = try? c.decodeIfPresent(String.self, forKey: .audience) {
            audience = [single]
        } else {
            audience = try c.decodeIfPresent([String].self, forKey: .audience)
        }
        expiresAt = try Self.numericDate(c, .expiresAt)
        notBefore = try Self.numericDate(c, .notBefore)
        issuedAt = try Self.numericDate(c, .issuedAt)
        tokenID = try c.decodeIfPresent(String.self, forKey: .tokenID)
        clientID = try c.decodeIfPresent(String.self, forKey: .clientID)
        roles = try c.decodeIfPresent([String].self, forKey: .roles)
        permissions = try c.decodeIfPresent([String].self, forKey: .permissions)
        sessionID = try c.decodeIfPresent(String.self, forKey: .sessionID)
        principal = try c.decodeIfPresent(String.self, forKey: .principal)
        nonce = try c.decodeIfPresent(String.self, forKey: .nonce)
        authorizedParty = try c.decodeIfPresent(String.self, forKey: .authorizedParty)
        email = try c.decodeIfPresent(String.self, forKey: .email)
        emailVerified = try c.decodeIfPresent(Bool.self, forKey: .emailVerified)
        name = try c.decodeIfPresent(String.self, forKey: .name)
    }

    /// NumericDate (RFC 7519 §2): a JSON number, possibly fractional; truncated to seconds.
    private static func numericDate(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Int64? {
        guard let value = try c.decodeIfPresent(Double.self, forKey: key) else { return nil }
        guard value.isFinite, value >= 0, value < 1e13 else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "NumericDate out of range")
        }
        return Int64(value.rounded(.down))
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
public struct JWTHeader: Sendable, Hashable, Codable {
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
