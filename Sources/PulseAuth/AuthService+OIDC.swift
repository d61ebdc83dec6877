import Foundation
import PulseSecurity

/// What the browser gets back from starting an OIDC login.
struct OIDCRedirect: Sendable {
    /// The provider's authorization URL (302 Location).
    var location: String
    /// Value of the HttpOnly cookie that binds the pending login to this browser.
    var browserCookie: String
}

extension OAuthError {
    /// The one answer to every failed OIDC callback: which check failed is in the audit log only.
    static let oidcFailed = OAuthError(.badRequest, "access_denied", "the single sign-on could not be completed; please start again")
    static let oidcNotAvailable = OAuthError(.notFound, "not_found", "single sign-on is not configured for this client")
    static let oidcProviderUnavailable = OAuthError(.badGateway, "temporarily_unavailable", "the identity provider could not be reached")
}

/// OIDC sign-in per client (F-AUTH-OIDC). Every step and every failure is audited in the
/// client's audit log with a precise reason; callers see `OAuthError.oidcFailed` only.
extension AuthService {
    /// Stores a client's provider (the client secret sealed) after checking its shape.
    public func configureOIDC(clientID: Int, _ provider: OIDCProviderSettings, origin: RequestOrigin) async throws {
        guard OIDCProviderMetadata.isAcceptableEndpoint(provider.issuer), URLComponents(string: provider.redirectURI)?.host != nil,
              !provider.clientID.isEmpty, !provider.clientSecret.isEmpty else {
            throw OAuthError.invalidRequest("issuer (https), client_id, client_secret and an absolute redirect_uri are required")
        }
        try await oidc.store.saveProvider(clientID: clientID, provider)
        try await store.audit(clientID: clientID, event: "oidc_configured", outcome: "success", address: origin.address,
                              userAgent: origin.userAgent, details: ["issuer": provider.issuer], at: clock.now())
    }

    /// The provider of a client (secret included: callers must never return it).
    public func oidcProvider(clientID: Int) async throws -> OIDCProviderSettings? {
        try await oidc.store.provider(clientID: clientID)
    }

    /// `GET /auth/oidc/{slug}/login`: a pending login (state, nonce, PKCE verifier; single
    /// use, 10 minutes) and the provider URL to send the browser to.
    func beginOIDCLogin(clientSlug: String, origin: RequestOrigin) async throws -> OIDCRedirect {
        guard let clientID = try await store.clientID(slug: clientSlug),
              let provider = try await oidc.store.provider(clientID: clientID), provider.enabled else { throw OAuthError.oidcNotAvailable }
        let now = clock.now()
        let metadata: OIDCProviderMetadata
        do { metadata = try await oidc.metadata(issuer: provider.issuer) } catch {
            try await store.audit(clientID: clientID, event: "oidc_login_failed", outcome: "failure", address: origin.address,
                                  userAgent: origin.userAgent, details: ["reason": error.failure.rawValue, "step": "discovery"], at: now)
            throw OAuthError.oidcProviderUnavailable
        }
        let state = OAuthRandom.state(), nonce = OAuthRandom.nonce(), verifier = PKCE.generateVerifier()
        let browser = SecureRandom.token()
        let location = try metadata.authorizationURL(clientID: provider.clientID, redirectURI: provider.redirectURI, state: state,
                                                     nonce: nonce, codeChallenge: try PKCE.challenge(for: verifier), scope: provider.scopes)
        try await oidc.store.insertLogin(clientID: clientID, browserHash: SHA256.hash(browser), stateHash: SHA256.hash(state), nonce: nonce,
                                         codeVerifier: verifier, redirectURI: provider.redirectURI,
                                         expiresAt: now.addingTimeInterval(OIDCLogin.loginLifetime), now: now)
        try await store.audit(clientID: clientID, event: "oidc_login_started", outcome: "success", address: origin.address,
                              userAgent: origin.userAgent, details: ["issuer": provider.issuer], at: now)
        return OIDCRedirect(location: location, browserCookie: browser)
    }

    /// `GET /auth/oidc/callback`: checks the pending login of this browser (single use,
    /// unexpired, `state` equal), exchanges the code with the PKCE verifier, validates the
    /// id_token (signature, issuer, audience, expiry, nonce), provisions or finds the user,
    /// and opens a normal session (cookie + tokens, as `/auth/login`).
    func completeOIDCLogin(browserCookie: String?, query: [String: String], origin: RequestOrigin) async throws -> IssuedTokens {
        let now = clock.now()
        guard let browserCookie, browserCookie.utf8.count <= 64,
              let clientID = try await oidc.store.clientID(browserHash: SHA256.hash(browserCookie)) else {
            // No tenant to audit into: the log has it.
            logger.notice("OIDC callback without a pending login", metadata: ["address": "\(origin.address)"])
            throw OAuthError.oidcFailed
        }
        func fail(_ failure: OIDCFailure, _ details: [String: String] = [:], userID: Int? = nil) async throws -> Never {
            try await store.audit(clientID: clientID, event: "oidc_login_failed", outcome: "failure", userID: userID,
                                  address: origin.address, userAgent: origin.userAgent,
                                  details: details.merging(["reason": failure.rawValue]) { $1 }, at: now)
            throw OAuthError.oidcFailed
        }
        guard let pending = try await oidc.store.consumeLogin(clientID: clientID, browserHash: SHA256.hash(browserCookie), now: now) else {
            try await fail(.noPendingLogin)
        }
        if pending.consumedAt != nil { try await fail(.stateReplayed) }
        if pending.expiresAt <= now { try await fail(.stateExpired) }
        guard let state = query["state"], state.utf8.count <= 512, ConstantTime.equals(SHA256.hash(state), pending.stateHash) else {
            try await fail(.stateMismatch)
        }
        if let error = query["error"] { try await fail(.providerError, ["provider_error": String(error.prefix(64))]) }
        guard let code = query["code"], !code.isEmpty, code.utf8.count <= 2048 else { try await fail(.missingCode) }
        guard let provider = try await oidc.store.provider(clientID: clientID), provider.enabled else { try await fail(.notConfigured) }

        let user: OIDCUser
        do {
            let metadata = try await oidc.metadata(issuer: provider.issuer)
            let idToken = try await oidc.exchange(code: code, pending: pending, provider: provider, metadata: metadata)
            user = try await oidc.validator(for: provider, metadata: metadata).validate(idToken, expectedNonce: pending.nonce)
        } catch let error as OIDCFailureError {
            try await fail(error.failure)
        } catch let error as SecurityError {
            try await fail(OIDCFailure(error))
        }
        let userID = try await provision(user, clientID: clientID, provider: provider, origin: origin, now: now, fail: fail)
        guard let stored = try await store.user(clientID: clientID, id: userID), stored.active else {
            try await fail(.userDisabled, userID: userID)
        }
        return try await openSession(clientID: clientID, userID: userID, actor: stored.email, origin: origin, withCookie: true,
                                     via: "oidc", now: now)
    }

    /// Finds the user linked to (issuer, subject), or provisions one just in time: email
    /// required and in the allowed domains; an existing local account with that email is
    /// linked only when the provider verified the email and the client allows linking.
    private func provision(_ user: OIDCUser, clientID: Int, provider: OIDCProviderSettings, origin: RequestOrigin, now: Date,
                           fail: (OIDCFailure, [String: String], Int?) async throws -> Never) async throws -> Int {
        if let linked = try await oidc.store.linkedUser(clientID: clientID, issuer: user.issuer, subject: user.subject) {
            try await oidc.store.touchIdentity(clientID: clientID, issuer: user.issuer, subject: user.subject, now: now)
            return linked
        }
        guard let raw = user.email else { try await fail(.emailMissing, [:], nil) }
        let email = AuthService.normaliseEmail(raw)
        guard email.utf8.count <= 255, let at = email.lastIndex(of: "@"), at != email.startIndex else { try await fail(.emailMissing, [:], nil) }
        let domain = String(email[email.index(after: at)...])
        if !provider.allowedEmailDomains.isEmpty, !provider.allowedEmailDomains.contains(domain) {
            try await fail(.emailDomainNotAllowed, ["domain": String(domain.prefix(100))], nil)
        }
        let existing = try await store.user(clientID: clientID, email: email)
        if let existing, !(provider.linkVerifiedEmail && user.emailVerified) {
            try await fail(.accountExists, [:], existing.id)
        }
        let userID = try await oidc.store.link(clientID: clientID, issuer: user.issuer, subject: user.subject, email: email,
                                               existingUserID: existing?.id, name: user.name, defaultRole: provider.defaultRole, now: now)
        try await store.audit(clientID: clientID, event: existing == nil ? "oidc_user_provisioned" : "oidc_identity_linked", outcome: "success",
                              userID: userID, actor: email, address: origin.address, userAgent: origin.userAgent,
                              details: ["issuer": user.issuer, "role": existing == nil ? (provider.defaultRole ?? "") : ""], at: now)
        return userID
    }
}
