import Foundation
import PulseConfiguration
import PulseSecurity
import PulseService

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
    /// Keep throttle counters in the database (`auth_throttle_counters`), shared by every auth
    /// process; false keeps them in this process only (tests, single-process tools).
    public var sharedThrottle = true
    /// Always mark the session cookie `Secure` (also set per request when the gateway says
    /// `X-Forwarded-Proto: https`).
    public var secureCookies = false
    /// Key of the signed double-submit CSRF tokens (≥ 32 bytes, shared by every service behind
    /// the gateway). Nil derives one from `keyEncryptionKey` (HMAC, domain-separated).
    public var csrfKey: [UInt8]?
    /// Algorithm of new signing keys: RS256 (RSA-2048; verification is about six times faster
    /// than Ed25519 with OpenSSL 3 on x86-64) or EdDSA. Keys of the other algorithm already in
    /// the ring keep verifying until their tokens expire.
    public var signingAlgorithm: JWSAlgorithm = .rs256
    /// Request bodies of the auth endpoints are small; anything larger is refused with 413.
    public var maximumBodyBytes = 16 * 1024
    /// Peers whose `X-Forwarded-For` / `Forwarded` headers are believed (the gateway's
    /// addresses); empty: no forwarded header is ever believed.
    public var trustedProxies: Set<String> = []

    public init(issuer: String, audience: String = "pulse", keyEncryptionKey: AESGCMKey) {
        self.issuer = issuer
        self.audience = audience
        self.keyEncryptionKey = keyEncryptionKey
    }

    /// Name of the session cookie.
    public static let sessionCookieName = ServiceAuthentication.sessionCookieName

    /// Reads the `auth.*` keys of the configuration catalogue (`snapshot`: files and
    /// `PULSE_AUTH_*` variables) with the older `AUTH_*` variables winning when set:
    /// `AUTH_KEY_ENCRYPTION_KEY` (required: 64 hex digits or 43 base64url characters),
    /// `AUTH_ISSUER` (default `http://<host>:<port>`), `AUTH_AUDIENCE` (default `pulse`),
    /// `AUTH_ACCESS_TOKEN_LIFETIME` (seconds), `AUTH_COOKIE_SECURE` (true/false), `AUTH_CSRF_KEY`
    /// and `AUTH_SIGNING_ALGORITHM` (`RS256` default, or `EdDSA`).
    public static func fromEnvironment(_ environment: [String: String], snapshot: ConfigurationSnapshot? = nil,
                                       defaultIssuer: String) throws -> AuthConfiguration {
        /// `AUTH_<NAME>` when set and non-empty, else the catalogue's `auth.<name>` when non-empty.
        func value(_ name: String) -> (text: String, source: String)? {
            let legacy = "AUTH_" + name.uppercased()
            if let text = environment[legacy], !text.isEmpty { return (text, legacy) }
            guard let snapshot else { return nil }
            let key = "auth." + name
            let text: String
            switch snapshot.value(key) {
            case .string(let s): text = s
            case .integer(let i): text = String(i)
            case .bool(let b): text = String(b)
            default: return nil
            }
            return text.isEmpty ? nil : (text, key)
        }
        guard let keyText = value("key_encryption_key") else {
            throw AuthConfigurationError(
                message: "AUTH_KEY_ENCRYPTION_KEY (or auth.key_encryption_key) is not set (32 bytes: 64 hex digits or 43 base64url characters)")
        }
        let key: AESGCMKey
        do { key = try AESGCMKey(configured: keyText.text) } catch {
            throw AuthConfigurationError(message: "\(keyText.source): \(error.reason)")
        }
        var configuration = AuthConfiguration(issuer: value("issuer")?.text ?? defaultIssuer,
                                              audience: value("audience")?.text ?? "pulse", keyEncryptionKey: key)
        if let (text, source) = value("access_token_lifetime") {
            guard let seconds = Double(text), seconds > 0, seconds <= AccessTokenIssuer.maximumLifetime else {
                throw AuthConfigurationError(message: "\(source): expected seconds in 1...3600, got \(text)")
            }
            configuration.accessTokenLifetime = seconds
        }
        if let (text, source) = value("csrf_key") {
            do { configuration.csrfKey = try AESGCMKey(configured: text).bytes } catch {
                throw AuthConfigurationError(message: "\(source): \(error.reason)")
            }
        }
        if let (text, source) = value("cookie_secure") {
            guard let flag = ["true": true, "1": true, "yes": true, "false": false, "0": false, "no": false][text.lowercased()] else {
                throw AuthConfigurationError(message: "\(source): expected true or false, got \(text)")
            }
            configuration.secureCookies = flag
        }
        if let (text, _) = value("trusted_proxies") {
            configuration.trustedProxies = Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        if let (text, source) = value("signing_algorithm") {
            guard let algorithm = JWSAlgorithm(rawValue: text), SigningKey.signingAlgorithms.contains(algorithm) else {
                throw AuthConfigurationError(message: "\(source): expected RS256 or EdDSA, got \(text)")
            }
            configuration.signingAlgorithm = algorithm
        }
        return configuration
    }
}

/// A configuration value the auth service cannot start with.
public struct AuthConfigurationError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
