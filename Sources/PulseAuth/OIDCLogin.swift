import Foundation
import Logging
import PulseSecurity
import Synchronization

/// Why an OIDC sign-in failed. Recorded in the audit log; the browser only ever sees one
/// generic message (`OIDCLogin.failure`), so nothing here helps an attacker probe.
enum OIDCFailure: String, Sendable {
    case noPendingLogin = "no_pending_login", stateMismatch = "state_mismatch", stateReplayed = "state_replayed"
    case stateExpired = "state_expired", providerError = "provider_error", missingCode = "missing_code"
    case providerUnavailable = "provider_unavailable", tokenExchangeFailed = "token_exchange_failed"
    case idTokenMissing = "id_token_missing", badSignature = "bad_signature", wrongIssuer = "wrong_issuer"
    case wrongAudience = "wrong_audience", expired = "id_token_expired", nonceMismatch = "nonce_mismatch"
    case invalidIDToken = "invalid_id_token", emailMissing = "email_missing", emailDomainNotAllowed = "email_domain_not_allowed"
    case accountExists = "local_account_exists", userDisabled = "user_disabled", notConfigured = "not_configured"

    init(_ error: SecurityError) {
        switch error.code {
        case .badSignature, .algorithmMismatch, .unsupportedAlgorithm, .unknownKeyID: self = .badSignature
        case .wrongIssuer: self = .wrongIssuer
        case .wrongAudience: self = .wrongAudience
        case .expired, .notYetValid: self = .expired
        case .nonceMismatch: self = .nonceMismatch
        case .keySetUnavailable: self = .providerUnavailable
        default: self = .invalidIDToken
        }
    }
}

/// The OIDC authorization-code + PKCE login of one auth service (F-AUTH-OIDC): discovery
/// (cached), the redirect to the provider, the callback (state, code exchange, id_token),
/// just-in-time provisioning. Caches discovery documents and one id_token validator (with
/// its JWKS cache) per (issuer, client id).
final class OIDCLogin: Sendable {
    /// How long a started login may take (the user signs in at the provider meanwhile).
    static let loginLifetime: TimeInterval = 600
    /// Discovery documents are refetched after this long.
    static let discoveryLifetime: TimeInterval = 3600
    static let browserCookieName = "pulse_oidc"

    let http: any OIDCHTTPClient
    let store: OIDCStore
    let clock: any WallClock
    private let discoveries = Mutex<[String: (OIDCProviderMetadata, fetchedAt: Date)]>([:])
    private let validators = Mutex<[String: OIDCIDTokenValidator]>([:])

    init(http: any OIDCHTTPClient, store: OIDCStore, clock: any WallClock) {
        self.http = http
        self.store = store
        self.clock = clock
    }

    /// The provider's discovery document (cached for an hour; issuer checked exactly).
    func metadata(issuer: String) async throws(OIDCFailureError) -> OIDCProviderMetadata {
        let now = clock.now()
        if let (cached, at) = discoveries.withLock({ $0[issuer] }), now.timeIntervalSince(at) < Self.discoveryLifetime { return cached }
        let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        let metadata: OIDCProviderMetadata
        do {
            let response = try await http.get(base + "/.well-known/openid-configuration")
            guard response.status == 200 else { throw OIDCFailureError(.providerUnavailable) }
            metadata = try OIDCProviderMetadata(json: response.body, expectedIssuer: issuer)
        } catch let error as OIDCFailureError {
            throw error
        } catch {
            throw OIDCFailureError(.providerUnavailable)
        }
        discoveries.withLock { $0[issuer] = (metadata, now) }
        return metadata
    }

    func validator(for provider: OIDCProviderSettings, metadata: OIDCProviderMetadata) throws -> OIDCIDTokenValidator {
        let cacheKey = provider.issuer + "\n" + provider.clientID + "\n" + metadata.jwksURI
        if let cached = validators.withLock({ $0[cacheKey] }) { return cached }
        let validator = try OIDCIDTokenValidator(issuer: provider.issuer, clientID: provider.clientID,
                                                 keySource: OIDCJWKSSource(url: metadata.jwksURI, http: http), clock: clock)
        return validators.withLock { $0[cacheKey, default: validator] }
    }

    /// The token request of RFC 6749 §4.1.3 with the PKCE verifier, authenticated as the
    /// provider configured (HTTP Basic with form-encoded id and secret, or in the body).
    func exchange(code: String, pending: PendingOIDCLogin, provider: OIDCProviderSettings,
                  metadata: OIDCProviderMetadata) async throws(OIDCFailureError) -> String {
        var fields = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", pending.redirectURI),
                      ("code_verifier", pending.codeVerifier)]
        var headers: [(String, String)] = []
        switch provider.clientAuthentication {
        case .clientSecretPost:
            fields += [("client_id", provider.clientID), ("client_secret", provider.clientSecret)]
        case .clientSecretBasic:
            let pair = FormEncoding.escape(provider.clientID) + ":" + FormEncoding.escape(provider.clientSecret)
            headers.append(("Authorization", "Basic " + Data(pair.utf8).base64EncodedString()))
        }
        let response: OIDCHTTPResponse
        do { response = try await http.postForm(metadata.tokenEndpoint, fields: fields, headers: headers) } catch {
            throw OIDCFailureError(.providerUnavailable)
        }
        guard response.status == 200 else { throw OIDCFailureError(.tokenExchangeFailed) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw OIDCFailureError(.tokenExchangeFailed)
        }
        guard let idToken = object["id_token"] as? String, !idToken.isEmpty else { throw OIDCFailureError(.idTokenMissing) }
        return idToken
    }
}

/// An `OIDCFailure` as a thrown error.
struct OIDCFailureError: Error, Sendable {
    let failure: OIDCFailure
    init(_ failure: OIDCFailure) { self.failure = failure }
}
