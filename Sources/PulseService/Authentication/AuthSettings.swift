import Foundation
import PulseConfiguration
import PulseHTTPClient
import PulseSecurity

/// How a service (backend, etl, ai, gateway) trusts the auth service. Each setting is the
/// catalogue key (`auth.url`, `auth.jwks_url`, `auth.issuer`, `auth.audience`,
/// `auth.csrf_key`, `auth.session_cache_seconds`, `auth.ca_file`) unless its older
/// environment variable is set: `AUTH_URL` (base URL of pulse-auth; default
/// `http://<auth.host>:<auth.port>` from the catalogue), `AUTH_JWKS_URL` (default
/// `<AUTH_URL>/.well-known/jwks.json`), `AUTH_ISSUER` (default `AUTH_URL`, as pulse-auth's
/// own default), `AUTH_AUDIENCE` (`pulse`), `AUTH_CSRF_KEY` (the key pulse-auth signs CSRF
/// tokens with; without it cookie-authenticated writes are refused) and
/// `AUTH_SESSION_CACHE_SECONDS` (how long a resolved session cookie is reused; 30) and
/// `AUTH_CA_FILE` (PEM CAs to trust for an https `AUTH_URL` instead of the system store).
public struct AuthSettings: Sendable {
    public var authURL: String
    public var jwksURL: String
    public var issuer: String
    public var audience: String
    public var csrfKey: [UInt8]?
    public var sessionCacheLifetime: TimeInterval
    /// Longest access-token lifetime: how far back the revocation snapshot looks.
    public var accessTokenLifetime: TimeInterval
    /// PEM file of CAs for an https `authURL` (nil: the system trust store).
    public var caFile: String?

    public init(authURL: String, jwksURL: String? = nil, issuer: String? = nil, audience: String = "pulse", csrfKey: [UInt8]? = nil,
                sessionCacheLifetime: TimeInterval = 30, accessTokenLifetime: TimeInterval = 3600) {
        let base = authURL.hasSuffix("/") ? String(authURL.dropLast()) : authURL
        self.authURL = base
        self.jwksURL = jwksURL ?? base + "/.well-known/jwks.json"
        self.issuer = issuer ?? base
        self.audience = audience
        self.csrfKey = csrfKey
        self.sessionCacheLifetime = sessionCacheLifetime
        self.accessTokenLifetime = accessTokenLifetime
    }

    /// A setting the service cannot start with.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Reads the settings above from the environment, then the configuration snapshot.
    public static func fromEnvironment(_ environment: [String: String], snapshot: ConfigurationSnapshot) throws(Invalid) -> AuthSettings {
        // The older AUTH_* variable wins when set (as pulse-auth reads them), else the catalogue key.
        func value(_ name: String, _ key: String) -> String? {
            environment[name].flatMap { $0.isEmpty ? nil : $0 } ?? { let v = snapshot.string(key); return v.isEmpty ? nil : v }()
        }
        let host = snapshot.string("auth.host")
        let defaultBase = "http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(snapshot.int("auth.port"))"
        let base = value("AUTH_URL", "auth.url") ?? defaultBase
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else { throw Invalid(message: "AUTH_URL: expected an http(s) URL, got \(base)") }
        var settings = AuthSettings(authURL: base, jwksURL: value("AUTH_JWKS_URL", "auth.jwks_url"), issuer: value("AUTH_ISSUER", "auth.issuer"),
                                    audience: value("AUTH_AUDIENCE", "auth.audience") ?? "pulse")
        if let text = value("AUTH_CSRF_KEY", "auth.csrf_key") {
            do { settings.csrfKey = try AESGCMKey(configured: text).bytes } catch {
                throw Invalid(message: "AUTH_CSRF_KEY: \(error.reason)")
            }
        }
        settings.sessionCacheLifetime = snapshot.double("auth.session_cache_seconds")
        if let text = environment["AUTH_SESSION_CACHE_SECONDS"], !text.isEmpty {
            guard let seconds = Double(text), seconds >= 0, seconds <= 300 else {
                throw Invalid(message: "AUTH_SESSION_CACHE_SECONDS: expected seconds in 0...300, got \(text)")
            }
            settings.sessionCacheLifetime = seconds
        }
        settings.caFile = value("AUTH_CA_FILE", "auth.ca_file")
        if let text = environment["AUTH_ACCESS_TOKEN_LIFETIME"], !text.isEmpty {
            guard let seconds = Double(text), seconds > 0, seconds <= 3600 else {
                throw Invalid(message: "AUTH_ACCESS_TOKEN_LIFETIME: expected seconds in 1...3600, got \(text)")
            }
            settings.accessTokenLifetime = seconds
        }
        return settings
    }

    /// The client for pulse-auth: short timeouts, since a JWKS refetch or a cookie lookup
    /// holds up the request that needed it.
    public func makeClient() throws -> HTTPClient {
        try HTTPClient(configuration: HTTPClientConfiguration(
            timeouts: .init(connect: .seconds(2), request: .seconds(5), overall: .seconds(8)),
            tls: .init(trustedCAFile: caFile), maximumRedirects: 0, maximumResponseBytes: 1 << 20))
    }
}
