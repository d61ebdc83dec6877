import Foundation

/// Who a verified access token speaks for. Built only by `TokenVerifier`; services put it in
/// the request context and ask it for permissions.
public struct Identity: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case user
        /// An integrator's service account (client_credentials grant).
        case serviceAccount = "service_account"
    }

    public let kind: Kind
    /// User id or service-account id (`sub`).
    public let subject: String
    /// The tenant (`client_id`). Every query the service makes for this identity filters by it.
    public let clientID: String
    public let roles: Set<String>
    public let permissions: Set<String>
    /// The sign-in session (`sid`); nil for service accounts.
    public let sessionID: String?
    public let tokenID: String?
    public let expiresAt: Date

    public init(claims: JWTClaims) throws(SecurityError) {
        guard let sub = claims.subject, !sub.isEmpty, let client = claims.clientID, !client.isEmpty, let exp = claims.expiresAt
        else { throw SecurityError(.missingClaim, "a required claim is missing") }
        switch claims.principal {
        case nil, "user": kind = .user
        case "service_account": kind = .serviceAccount
        default: throw SecurityError(.malformedToken, "unknown principal type")
        }
        subject = sub
        clientID = client
        roles = Set(claims.roles ?? [])
        permissions = Set(claims.permissions ?? [])
        sessionID = claims.sessionID
        tokenID = claims.tokenID
        expiresAt = Date(timeIntervalSince1970: TimeInterval(exp))
    }

    /// True when a granted permission matches `permission` exactly, or a granted
    /// `prefix:*` covers it (`dora:*` covers `dora:read` and `dora:metrics:read`).
    /// There is no bare `*`: a token never grants everything.
    public func has(_ permission: String) -> Bool {
        if permissions.contains(permission) { return true }
        var prefix = Substring(permission)
        while let colon = prefix.lastIndex(of: ":") {
            prefix = prefix[..<colon]
            if permissions.contains(prefix + ":*") { return true }
        }
        return false
    }

    public func hasRole(_ role: String) -> Bool { roles.contains(role) }

    /// Throws `permissionDenied` unless the identity holds `permission`.
    public func require(_ permission: String) throws(SecurityError) {
        guard has(permission) else { throw SecurityError(.permissionDenied, "the identity lacks a required permission") }
    }

    public func require(allOf permissions: [String]) throws(SecurityError) {
        for p in permissions { try require(p) }
    }
}

/// Reads an `Authorization` header value.
public enum BearerToken {
    /// The token of `Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1), or nil.
    public static func extract(fromAuthorization header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty || token.contains(" ") ? nil : String(token)
    }
}
