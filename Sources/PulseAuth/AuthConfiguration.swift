import Foundation
import PulseSecurity

/// Settings of the token authority. Built from literals in tests and from the environment by
/// the `pulse-auth` executable (`fromEnvironment`).
public struct AuthConfiguration: Sendable {
    /// `iss` of every access token and the base of the discovery document's URLs.
    public var issuer: String
    /// `aud` of every access token (all Pulse services accept this one audience).
    public var audience: String
    /// AES-256-GCM key that seals signing keys at rest.
    public var keyEncryptionKey: AESGCMKey
    /// Access-token lifetime in seconds (at most one hour).
    public var accessTokenLifetime: TimeInterval = 900
    /// Lifetime of a sign-in session (cookie) in seconds.
    public var sessionLifetime: TimeInterval = 12 * 3600
    public var refreshPolicy = RefreshTokenPolicy()
    /// PBKDF2 cost for user passwords (tests lower it; production is 600,000 iterations).
    public var passwordHasher: PasswordHasher = .production
    public var throttle = LoginThrottle()
    /// Always mark the session cookie `Secure` (also set per request when the gateway says
    /// `X-Forwarded-Proto: https`).
    public var secureCookies = false
    /// Key of the signed double-submit CSRF tokens (≥ 32 bytes, shared by every service behind
    /// the gateway). Nil derives one from `keyEncryptionKey` (HMAC, domain-separated).
    public var csrfKey: [UInt8]?
    /// Request bodies of the auth endpoints are small; anything larger is refused with 413.
    public var maximumBodyBytes = 16 * 1024

    public init(issuer: String, audience: String = "pulse", keyEncryptionKey: AESGCMKey) {
        self.issuer = issuer
        self.audience = audience
        self.keyEncryptionKey = keyEncryptionKey
    }

    /// Name of the session cookie.
    public static let sessionCookieName = "pulse_session"

    /// Reads `AUTH_KEY_ENCRYPTION_KEY` (required: 64 hex digits or 43 base64url characters),
    /// `AUTH_ISSUER` (default `http://<host>:<port>`), `AUTH_AUDIENCE` (default `pulse`),
    /// `AUTH_ACCESS_TOKEN_LIFETIME` (seconds) and `AUTH_COOKIE_SECURE` (true/false).
    public static func fromEnvironment(_ environment: [String: String], defaultIssuer: String) throws -> AuthConfiguration {
        guard let keyText = environment["AUTH_KEY_ENCRYPTION_KEY"], !keyText.isEmpty else {
            throw AuthConfigurationError(message: "AUTH_KEY_ENCRYPTION_KEY is not set (32 bytes: 64 hex digits or 43 base64url characters)")
        }
        let key: AESGCMKey
        do { key = try AESGCMKey(configured: keyText) } catch {
            throw AuthConfigurationError(message: "AUTH_KEY_ENCRYPTION_KEY: \(error.reason)")
        }
        var configuration = AuthConfiguration(
            issuer: environment["AUTH_ISSUER"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultIssuer,
            audience: environment["AUTH_AUDIENCE"].flatMap { $0.isEmpty ? nil : $0 } ?? "pulse", keyEncryptionKey: key)
        if let text = environment["AUTH_ACCESS_TOKEN_LIFETIME"], !text.isEmpty {
            guard let seconds = Double(text), seconds > 0, seconds <= AccessTokenIssuer.maximumLifetime else {
                throw AuthConfigurationError(message: "AUTH_ACCESS_TOKEN_LIFETIME: expected seconds in 1...3600, got \(text)")
            }
            configuration.accessTokenLifetime = seconds
        }
        if let text = environment["AUTH_CSRF_KEY"], !text.isEmpty {
            do { configuration.csrfKey = try AESGCMKey(configured: text).bytes } catch {
                throw AuthConfigurationError(message: "AUTH_CSRF_KEY: \(error.reason)")
            }
        }
        if let text = environment["AUTH_COOKIE_SECURE"]?.lowercased(), !text.isEmpty {
            guard let value = ["true": true, "1": true, "yes": true, "false": false, "0": false, "no": false][text] else {
                throw AuthConfigurationError(message: "AUTH_COOKIE_SECURE: expected true or false, got \(text)")
            }
            configuration.secureCookies = value
        }
        return configuration
    }
}

/// A configuration value the auth service cannot start with.
public struct AuthConfigurationError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
