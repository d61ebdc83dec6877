import Foundation

/// An OIDC provider's discovery document (`/.well-known/openid-configuration`), the members
/// the authorization-code + PKCE flow needs.
public struct OIDCProviderMetadata: Sendable, Hashable, Codable {
    public var issuer: String
    public var authorizationEndpoint: String
    public var tokenEndpoint: String
    public var jwksURI: String
    public var userinfoEndpoint: String?
    public var idTokenSigningAlgValuesSupported: [String]?
    public var codeChallengeMethodsSupported: [String]?

    enum CodingKeys: String, CodingKey {
        case issuer, authorizationEndpoint = "authorization_endpoint", tokenEndpoint = "token_endpoint"
        case jwksURI = "jwks_uri", userinfoEndpoint = "userinfo_endpoint"
        case idTokenSigningAlgValuesSupported = "id_token_signing_alg_values_supported"
        case codeChallengeMethodsSupported = "code_challenge_methods_supported"
    }

    /// Parses and checks a discovery document: `issuer` must equal the configured issuer
    /// exactly (OIDC Discovery §4.3) and endpoints must be https (http only on loopback).
    public init(json: [UInt8], expectedIssuer: String) throws(SecurityError) {
        guard json.count <= 64 * 1024, let doc = try? JSONDecoder().decode(Self.self, from: Data(json)) else {
            throw SecurityError(.invalidInput, "OIDC discovery document is malformed")
        }
        guard doc.issuer == expectedIssuer else { throw SecurityError(.wrongIssuer, "OIDC discovery issuer does not match") }
        for url in [doc.authorizationEndpoint, doc.tokenEndpoint, doc.jwksURI] where !Self.isAcceptableEndpoint(url) {
            throw SecurityError(.invalidInput, "OIDC endpoint must use https")
        }
        if let methods = doc.codeChallengeMethodsSupported, !methods.contains("S256") {
            throw SecurityError(.invalidInput, "OIDC provider does not support PKCE S256")
        }
        self = doc
    }

    /// https, or http on loopback only (local providers in development and tests).
    public static func isAcceptableEndpoint(_ url: String) -> Bool {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else { return false }
        if components.scheme == "https" { return true }
        return components.scheme == "http" && (host == "127.0.0.1" || host == "localhost" || host == "[::1]" || host == "::1")
    }

    /// The authorization request URL (response_type=code with PKCE S256, state and nonce).
    public func authorizationURL(clientID: String, redirectURI: String, state: String, nonce: String,
        codeChallenge: String, scope: String = "openid email profile") throws(SecurityError) -> String {
        guard var components = URLComponents(string: authorizationEndpoint) else {
            throw SecurityError(.invalidInput, "OIDC authorization endpoint is malformed")
        }
        var items = components.queryItems ?? []
        items += [
            URLQueryItem(name: "response_type", value: "code"), URLQueryItem(name: "client_id", value: clientID),
            URLQueryItem(name: "redirect_uri", value: redirectURI), URLQueryItem(name: "scope", value: scope),
            URLQueryItem(name: "state", value: state), URLQueryItem(name: "nonce", value: nonce),
            URLQueryItem(name: "code_challenge", value: codeChallenge), URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        components.queryItems = items
        // URLComponents leaves "+" unescaped in queries; providers read it as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        guard let url = components.string else { throw SecurityError(.invalidInput, "OIDC authorization URL could not be built") }
        return url
    }
}

/// What a validated id_token says about the user (for just-in-time provisioning).
public struct OIDCUser: Sendable, Hashable {
    public let issuer: String
    public let subject: String
    public let email: String?
    public let emailVerified: Bool
    public let name: String?
}

/// Validates id_tokens of one OIDC provider for one client (OIDC Core §3.1.3.7): signature by
/// the provider's JWKS (RS256, ES256 or EdDSA, pinned by the key), `iss` exact, `aud`
/// contains our client id (and `azp` is us when present or when there are several
/// audiences), `exp`/`iat`, and the `nonce` we sent.
public final class OIDCIDTokenValidator: Sendable {
    public let policy: ClaimsPolicy
    public let keys: JWKSCache
    /// id_tokens issued longer ago than this are refused even if not expired.
    public let maximumAge: TimeInterval
    private let clock: any WallClock

    public init(issuer: String, clientID: String, keySource: any JWKSFetching, leeway: TimeInterval = 60,
        maximumAge: TimeInterval = 600, keySet: JWKSCache.Configuration = .init(), clock: any WallClock = SystemWallClock())
        throws(SecurityError) {
        self.policy = try ClaimsPolicy(issuer: issuer, audience: clientID, leeway: leeway, allowedAlgorithms: [.rs256, .es256, .edDSA],
            expectedType: nil, requiredClaims: [.subject, .issuedAt])
        self.keys = JWKSCache(source: keySource, configuration: keySet, clock: clock)
        self.maximumAge = maximumAge
        self.clock = clock
    }

    public func validate(_ idToken: String, expectedNonce: String) async throws(SecurityError) -> OIDCUser {
        let parsed = try JWT.parse(idToken, maximumBytes: policy.maximumTokenBytes)
        let key: VerificationKey
        do {
            key = try JWT.selectKey(for: parsed.header, policy: policy, lookup: keys.key(for:))
        } catch where error.code == .unknownKeyID {
            guard let kid = parsed.header.kid, !kid.isEmpty else { throw error }
            _ = try await keys.key(for: kid, refetchIfUnknown: true)
            key = try JWT.selectKey(for: parsed.header, policy: policy, lookup: keys.key(for:))
        }
        try JWT.checkSignature(parsed, key: key)
        let claims = try parsed.claims()
        let now = clock.now()
        try policy.validate(claims, now: now)
        let audience = claims.audience ?? []
        if audience.count > 1 || claims.authorizedParty != nil {
            guard claims.authorizedParty == policy.audience else {
                throw SecurityError(.wrongAudience, "id_token authorized party is not this client")
            }
        }
        if let iat = claims.issuedAt, now.timeIntervalSince1970 - Double(iat) > maximumAge + policy.leeway {
            throw SecurityError(.expired, "id_token is too old")
        }
        guard let nonce = claims.nonce, !expectedNonce.isEmpty, ConstantTime.equals(nonce, expectedNonce) else {
            throw SecurityError(.nonceMismatch, "id_token nonce does not match the login request")
        }
        return OIDCUser(issuer: policy.issuer, subject: claims.subject ?? "", email: claims.email,
            emailVerified: claims.emailVerified ?? false, name: claims.name)
    }
}
