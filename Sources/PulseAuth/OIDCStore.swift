import Foundation
import PulsePostgres
import PulseSecurity

/// One client's OIDC provider (F-AUTH-OIDC). `clientSecret` is clear only in memory: the row
/// holds it sealed, and no API ever returns it.
public struct OIDCProviderSettings: Sendable, Equatable {
    public enum ClientAuthentication: String, Sendable, CaseIterable { case clientSecretBasic = "client_secret_basic", clientSecretPost = "client_secret_post" }

    public var issuer: String
    public var clientID: String
    public var clientSecret: String
    public var clientAuthentication: ClientAuthentication = .clientSecretBasic
    public var redirectURI: String
    public var scopes = "openid email profile"
    /// Role given to users provisioned at their first OIDC sign-in (nil: none).
    public var defaultRole: String?
    /// Lower-case domains; empty allows any.
    public var allowedEmailDomains: [String] = []
    /// Link a first sign-in to an existing local account of the same email, only when the
    /// provider marks the email verified.
    public var linkVerifiedEmail = false
    public var enabled = true

    public init(issuer: String, clientID: String, clientSecret: String, redirectURI: String) {
        self.issuer = issuer
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.redirectURI = redirectURI
    }
}

/// A login started by `/auth/oidc/{slug}/login`, as the callback finds it.
struct PendingOIDCLogin: Sendable {
    var stateHash: [UInt8]
    var nonce: String
    var codeVerifier: String
    var redirectURI: String
    var expiresAt: Date
    var consumedAt: Date?
}

/// SQL of the OIDC login: provider settings, pending logins, identity links. Secrets (client
/// secret, PKCE verifier) are sealed with AES-256-GCM under the auth key, bound by associated
/// data to their client (and issuer), so a row copied to another tenant does not open.
struct OIDCStore: Sendable {
    let database: PostgresDatabase
    let key: AESGCMKey

    func seal(_ secret: String, _ context: String) throws -> String {
        "v1." + Base64URL.encode(try AESGCM.seal(Array(secret.utf8), key: key, associatedData: Array(context.utf8)))
    }

    func open(_ sealed: String, _ context: String) throws -> String {
        guard sealed.hasPrefix("v1."), let bytes = try? Base64URL.decode(String(sealed.dropFirst(3))) else {
            throw SecurityError(.invalidInput, "sealed value is malformed")
        }
        return String(decoding: try AESGCM.open(bytes, key: key, associatedData: Array(context.utf8)), as: UTF8.self)
    }

    static func secretContext(clientID: Int, issuer: String) -> String { "pulse.oidc.client-secret:\(clientID):\(issuer)" }
    static func verifierContext(clientID: Int) -> String { "pulse.oidc.code-verifier:\(clientID)" }

    // MARK: Provider settings

    func saveProvider(clientID: Int, _ p: OIDCProviderSettings) async throws {
        let sealed = try seal(p.clientSecret, Self.secretContext(clientID: clientID, issuer: p.issuer))
        try await database.client(clientID).write { tx in
            try await tx.query(
                """
                INSERT INTO oidc_providers (client_id, issuer, oauth_client_id, client_secret_encrypted, token_endpoint_auth_method,
                    redirect_uri, scopes, default_role, allowed_email_domains, link_verified_email, enabled)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                ON CONFLICT (client_id) DO UPDATE SET issuer = EXCLUDED.issuer, oauth_client_id = EXCLUDED.oauth_client_id,
                    client_secret_encrypted = EXCLUDED.client_secret_encrypted,
                    token_endpoint_auth_method = EXCLUDED.token_endpoint_auth_method, redirect_uri = EXCLUDED.redirect_uri,
                    scopes = EXCLUDED.scopes, default_role = EXCLUDED.default_role,
                    allowed_email_domains = EXCLUDED.allowed_email_domains, link_verified_email = EXCLUDED.link_verified_email,
                    enabled = EXCLUDED.enabled
                """, clientID, p.issuer, p.clientID, sealed, p.clientAuthentication.rawValue, p.redirectURI, p.scopes, p.defaultRole,
                p.allowedEmailDomains, p.linkVerifiedEmail, p.enabled)
        }
    }

    func provider(clientID: Int) async throws -> OIDCProviderSettings? {
        let row = try await database.client(clientID).read { tx in
            try await tx.query(
                """
                SELECT issuer, oauth_client_id, client_secret_encrypted, token_endpoint_auth_method, redirect_uri, scopes,
                       default_role, allowed_email_domains, link_verified_email, enabled FROM oidc_providers
                """).first
        }
        guard let row else { return nil }
        let issuer = try row.decode(String.self, "issuer")
        let secret = try open(try row.decode(String.self, "client_secret_encrypted"), Self.secretContext(clientID: clientID, issuer: issuer))
        var p = OIDCProviderSettings(issuer: issuer, clientID: try row.decode(String.self, "oauth_client_id"), clientSecret: secret,
                                     redirectURI: try row.decode(String.self, "redirect_uri"))
        p.clientAuthentication = .init(rawValue: try row.decode(String.self, "token_endpoint_auth_method")) ?? .clientSecretBasic
        p.scopes = try row.decode(String.self, "scopes")
        p.defaultRole = try row.decode(String?.self, "default_role")
        p.allowedEmailDomains = try row.decode([String].self, "allowed_email_domains")
        p.linkVerifiedEmail = try row.decode(Bool.self, "link_verified_email")
        p.enabled = try row.decode(Bool.self, "enabled")
        return p
    }

    // MARK: Pending logins

    func insertLogin(clientID: Int, browserHash: [UInt8], stateHash: [UInt8], nonce: String, codeVerifier: String,
                     redirectURI: String, expiresAt: Date, now: Date) async throws {
        let sealed = try seal(codeVerifier, Self.verifierContext(clientID: clientID))
        try await database.client(clientID).write { tx in
            // Expired logins of this tenant are garbage; drop them as we go.
            try await tx.query("DELETE FROM oidc_login_states WHERE expires_at < $1", now.addingTimeInterval(-3600))
            try await tx.query(
                """
                INSERT INTO oidc_login_states (client_id, browser_hash, state_hash, nonce, code_verifier_encrypted, redirect_uri, expires_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, clientID, Data(browserHash), Data(stateHash), nonce, sealed, redirectURI, expiresAt)
        }
    }

    /// The tenant of a pending login, from the browser cookie's hash (owner lookup).
    func clientID(browserHash: [UInt8]) async throws -> Int? {
        try await database.read { tx in
            try await tx.query("SELECT pulse_client_id_for_oidc_login($1)", Data(browserHash)).first?.decode(Int?.self, at: 0)
        }
    }

    /// Locks the pending login and marks it consumed in the same transaction: a login is
    /// usable once, whatever happens next. Returns the row as it was before.
    func consumeLogin(clientID: Int, browserHash: [UInt8], now: Date) async throws -> PendingOIDCLogin? {
        try await database.client(clientID).write { tx in
            guard let row = try await tx.query(
                """
                SELECT id, state_hash, nonce, code_verifier_encrypted, redirect_uri, expires_at, consumed_at
                FROM oidc_login_states WHERE browser_hash = $1 FOR UPDATE
                """, Data(browserHash)).first else { return nil }
            let id = try row.decode(Int64.self, "id")
            try await tx.query("UPDATE oidc_login_states SET consumed_at = COALESCE(consumed_at, $2) WHERE id = $1", id, now)
            return PendingOIDCLogin(
                stateHash: Array(try row.decode(Data.self, "state_hash")), nonce: try row.decode(String.self, "nonce"),
                codeVerifier: try open(try row.decode(String.self, "code_verifier_encrypted"), Self.verifierContext(clientID: clientID)),
                redirectURI: try row.decode(String.self, "redirect_uri"), expiresAt: try row.decode(Date.self, "expires_at"),
                consumedAt: try row.decode(Date?.self, "consumed_at"))
        }
    }

    // MARK: Identities

    /// The user linked to (issuer, subject) in this client.
    func linkedUser(clientID: Int, issuer: String, subject: String) async throws -> Int? {
        try await database.client(clientID).read { tx in
            try await tx.query("SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2", issuer, subject)
                .first?.decode(Int.self, at: 0)
        }
    }

    /// Links (issuer, subject) to `userID`, or creates the user (no password, the default
    /// role) and links it, in one transaction. Returns the user id.
    func link(clientID: Int, issuer: String, subject: String, email: String, existingUserID: Int?, name: String?,
              defaultRole: String?, now: Date) async throws -> Int {
        try await database.client(clientID).write { tx in
            let userID: Int
            if let existingUserID {
                userID = existingUserID
            } else {
                let parts = (name ?? "").split(separator: " ", maxSplits: 1).map(String.init)
                userID = try await tx.query(
                    """
                    INSERT INTO users (client_id, email, password_hash, auth_provider, first_name, last_name)
                    VALUES ($1, $2, NULL, 'oidc', $3, $4) RETURNING id
                    """, clientID, email, parts.first, parts.count > 1 ? parts[1] : nil)[0].decode(Int.self, at: 0)
                if let defaultRole {
                    let roleID = try await AuthStore.ensureRole(tx, clientID: clientID, name: defaultRole)
                    try await tx.query("INSERT INTO user_roles (client_id, user_id, role_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                                       clientID, userID, roleID)
                }
            }
            try await tx.query(
                "INSERT INTO user_identities (client_id, user_id, issuer, subject, email, last_login_at) VALUES ($1, $2, $3, $4, $5, $6)",
                clientID, userID, issuer, subject, email, now)
            return userID
        }
    }

    func touchIdentity(clientID: Int, issuer: String, subject: String, now: Date) async throws {
        try await database.client(clientID).write { tx in
            try await tx.query("UPDATE user_identities SET last_login_at = $3 WHERE issuer = $1 AND subject = $2", issuer, subject, now)
        }
    }
}
