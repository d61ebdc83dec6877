import Foundation
import Logging
import PulseHTTP
import PulseHTTPClient
import PulsePostgres
import PulseSecurity
import Synchronization

/// Everything a service needs to trust pulse-auth (issue 4 item 5), built once per process:
/// the JWKS over HTTP behind `TokenVerifier`, session cookies resolved through pulse-auth,
/// revocations pushed over LISTEN/NOTIFY, CSRF checks, and `require(permission)`.
///
/// ```swift
/// await ServiceMain.run(.backend) { service, logger in
///     let auth = try ServiceAuthentication.install(into: &service, logger: logger)
///     service.routes.get("/api/v1/session", summary: "…", middleware: [auth.require("analytics:read")]) { request in … }
/// }
/// ```
public final class ServiceAuthentication: Sendable {
    /// pulse-auth's session cookie (PulseAuth `AuthConfiguration.sessionCookieName`).
    public static let sessionCookieName = "pulse_session"

    public let settings: AuthSettings
    public let client: HTTPClient
    public let verifier: TokenVerifier
    public let sessions: SessionCookieResolver
    public let authenticator: ServiceAuthenticator

    public init(settings: AuthSettings, client: HTTPClient) throws {
        self.settings = settings
        self.client = client
        // Ed25519 today; RS256 accepted too (pulse-auth is moving to it). A key is pinned to
        // one algorithm, so allowing both does not open algorithm confusion.
        let policy = try ClaimsPolicy(issuer: settings.issuer, audience: settings.audience, allowedAlgorithms: [.edDSA, .rs256])
        // Unknown kids refetch at most every 2 s: quick recovery when pulse-auth starts after
        // us or rotates, still one request per 2 s however many bogus kids arrive.
        verifier = TokenVerifier(configuration: TokenVerifierConfiguration(
            policy: policy, keySet: JWKSCache.Configuration(minimumRefetchInterval: 2, maximumAge: 600)),
            keySource: HTTPJWKSSource(url: settings.jwksURL, client: client))
        sessions = SessionCookieResolver(authURL: settings.authURL, client: client, lifetime: settings.sessionCacheLifetime)
        authenticator = ServiceAuthenticator(verifier: verifier, sessions: sessions,
                                             csrf: try settings.csrfKey.map { key throws in try CSRFTokens(key: key) })
    }

    /// Middleware that admits only identities holding `permission`.
    public func require(_ permission: String) -> RequirePermission { RequirePermission(permission, authenticator: authenticator) }

    /// Applies pushed revocations to both the token verifier and the cookie cache.
    public func apply(_ events: [RevocationEvent]) {
        verifier.apply(contentsOf: events)
        for event in events { sessions.apply(event) }
    }

    /// Starts the background work, which runs as long as the process: the revocation feed (with
    /// a database), an early JWKS fetch retried until it succeeds, then periodic key refresh and
    /// pruning.
    public func start(database: PostgresDatabase?, logger: Logger) throws {
        if let database {
            _ = try RevocationFeed.start(conninfo: database.primary.conninfo, database: database,
                                                    accessTokenLifetime: settings.accessTokenLifetime, logger: logger) { [self] events in
                apply(events)
            }
        } else {
            logger.warning("No database: revocations are not pushed to this service; revoked tokens work until they expire")
        }
        let verifier = self.verifier, sessions = self.sessions
        Task {
            var tick = 0
            while !Task.isCancelled {
                if verifier.keys.keyIDs.isEmpty || tick % 60 == 0 { _ = try? await verifier.keys.refreshIfStale() }
                if tick % 30 == 0 {
                    verifier.prune()
                    sessions.prune()
                }
                tick += 1
                try? await Task.sleep(for: verifier.keys.keyIDs.isEmpty ? .milliseconds(500) : .seconds(1))
            }
        }
    }

    /// Ready when the auth service's keys are cached (or can be fetched now).
    public var readinessCheck: ReadinessCheck {
        let verifier = self.verifier, url = settings.jwksURL
        return ReadinessCheck(name: "auth") {
            if verifier.keys.keyIDs.isEmpty { _ = try? await verifier.keys.refresh() }
            return verifier.keys.keyIDs.isEmpty ? .notReady("no signing keys from \(url) yet") : .ready
        }
    }

    /// Builds it from the environment (`AuthSettings.fromEnvironment`), adds the `auth`
    /// readiness check and starts the background work with the definition's database.
    public static func install(into definition: inout ServiceDefinition,
                               environment: [String: String] = ProcessInfo.processInfo.environment,
                               logger: Logger) throws -> ServiceAuthentication {
        let settings = try AuthSettings.fromEnvironment(environment, snapshot: definition.snapshot)
        let auth = try ServiceAuthentication(settings: settings, client: try settings.makeClient())
        if settings.csrfKey == nil {
            logger.warning("AUTH_CSRF_KEY is not set: cookie-authenticated writes will be refused (bearer tokens still work)")
        }
        definition.readinessChecks.append(auth.readinessCheck)
        try auth.start(database: definition.database, logger: logger)
        logger.info("Authentication configured", metadata: ["jwks": "\(settings.jwksURL)", "issuer": "\(settings.issuer)"])
        return auth
    }
}
