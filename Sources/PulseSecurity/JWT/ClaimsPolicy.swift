import Foundation

/// What a verifier requires of a token besides its signature. Time comes from the caller
/// (`now`), never from the system clock here, so tests control it.
public struct ClaimsPolicy: Sendable {
    /// Exact expected `iss`.
    public var issuer: String
    /// The audience this verifier accepts; `aud` must contain it.
    public var audience: String
    /// Allowed clock skew for `exp`, `nbf` and `iat`, at most `maximumLeeway`.
    public var leeway: TimeInterval
    public var allowedAlgorithms: Set<JWSAlgorithm>
    /// Required header `typ` (case-insensitive), or nil to accept any.
    public var expectedType: String?
    public var maximumTokenBytes: Int
    /// Claims that must be present besides `iss`, `aud` and `exp` (for example `sub`, `client_id`).
    public var requiredClaims: Set<RequiredClaim>

    public enum RequiredClaim: String, Sendable, Hashable { case subject, clientID, issuedAt, sessionID, tokenID }

    public static let maximumLeeway: TimeInterval = 300

    public init(issuer: String, audience: String, leeway: TimeInterval = 30,
        allowedAlgorithms: Set<JWSAlgorithm> = [.rs256, .edDSA], expectedType: String? = JWT.accessTokenType,
        maximumTokenBytes: Int = JWT.defaultMaximumBytes, requiredClaims: Set<RequiredClaim> = [.subject, .clientID])
        throws(SecurityError) {
        guard leeway >= 0, leeway <= Self.maximumLeeway else {
            throw SecurityError(.invalidInput, "leeway must be between 0 and 300 seconds")
        }
        guard !issuer.isEmpty, !audience.isEmpty else { throw SecurityError(.invalidInput, "issuer and audience are required") }
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.allowedAlgorithms = allowedAlgorithms
        self.expectedType = expectedType
        self.maximumTokenBytes = maximumTokenBytes
        self.requiredClaims = requiredClaims
    }

    /// Time-dependent checks only (`exp`, `nbf`, `iat`); also used on verified-cache hits.
    public func validateTimes(_ claims: JWTClaims, now: Date) throws(SecurityError) {
        let t = now.timeIntervalSince1970
        guard let exp = claims.expiresAt else { throw SecurityError(.missingClaim, "token has no expiry") }
        if t >= Double(exp) + leeway { throw SecurityError(.expired, "token has expired") }
        if let nbf = claims.notBefore, t + leeway < Double(nbf) { throw SecurityError(.notYetValid, "token is not valid yet") }
        if let iat = claims.issuedAt, t + leeway < Double(iat) { throw SecurityError(.notYetValid, "token was issued in the future") }
    }

    public func validate(_ claims: JWTClaims, now: Date) throws(SecurityError) {
        guard let iss = claims.issuer else { throw SecurityError(.missingClaim, "token has no issuer") }
        guard iss == issuer else { throw SecurityError(.wrongIssuer, "token issuer is not trusted") }
        guard let aud = claims.audience, !aud.isEmpty else { throw SecurityError(.missingClaim, "token has no audience") }
        guard aud.contains(audience) else { throw SecurityError(.wrongAudience, "token is not meant for this audience") }
        try validateTimes(claims, now: now)
        for required in requiredClaims {
            let present: Bool
            switch required {
            case .subject: present = !(claims.subject ?? "").isEmpty
            case .clientID: present = !(claims.clientID ?? "").isEmpty
            case .issuedAt: present = claims.issuedAt != nil
            case .sessionID: present = !(claims.sessionID ?? "").isEmpty
            case .tokenID: present = !(claims.tokenID ?? "").isEmpty
            }
            if !present { throw SecurityError(.missingClaim, "a required claim is missing") }
        }
    }
}
