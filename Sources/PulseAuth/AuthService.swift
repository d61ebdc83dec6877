import Foundation
import Logging
import PulsePostgres
import PulseSecurity
import Synchronization

/// Tokens handed to a client after a successful grant.
public struct IssuedTokens: Sendable {
    public var accessToken: String
    public var expiresIn: Int
    public var refreshToken: String?
    public var sessionID: String?
    /// The session cookie value (`<client id>.<secret>`), only for `/auth/login`.
    public var sessionCookie: String?
}

/// Who made a request, for throttling and the audit log.
public struct RequestOrigin: Sendable {
    public var address: String
    public var userAgent: String?
    public init(address: String, userAgent: String? = nil) {
        self.address = address
        self.userAgent = userAgent
    }
}

/// The token authority: sign-in, the OAuth grants, sessions, revocation. HTTP-free (the
/// routes in `AuthRoutes` translate); time comes from the injected clock.
public final class AuthService: Sendable {
    public let configuration: AuthConfiguration
    public let database: PostgresDatabase
    public let clock: any WallClock
    /// Verifies our own tokens (for `/auth/me`, introspection, revocation); revocations are
    /// applied to it locally and pushed to every other process with NOTIFY.
    public let verifier: TokenVerifier
    let store: AuthStore
    let keys: SigningKeyStore
    let issuer: AccessTokenIssuer
    let ring: Mutex<SigningKeyRing>
    let jwksSource: InMemoryJWKSSource
    let throttle: ThrottleGate
    /// CSRF tokens for cookie-authenticated writes, bound to the session id.
    public let csrf: CSRFTokens
    let logger: Logger
    /// OIDC sign-in per client (discovery and validator caches, outbound HTTP).
    let oidc: OIDCLogin

    /// Loads (or creates) the signing keys and returns a ready service. `oidcHTTP` is how the
    /// service talks to OIDC providers (default: Pulse's own HTTP client, system trust store).
    public static func start(configuration: AuthConfiguration, database: PostgresDatabase,
                             clock: any WallClock = SystemWallClock(), logger: Logger = Logger(label: "pulse.auth"),
                             oidcHTTP: (any OIDCHTTPClient)? = nil) async throws -> AuthService {
        let keys = SigningKeyStore(database: database, storage: EncryptedKeyStorage(encryptionKey: configuration.keyEncryptionKey),
                                   maximumTokenLifetime: configuration.accessTokenLifetime, algorithm: configuration.signingAlgorithm)
        let ring = try await keys.loadRing(now: clock.now())
        return try AuthService(configuration: configuration, database: database, clock: clock, keys: keys, ring: ring, logger: logger,
                               oidcHTTP: oidcHTTP ?? PulseOIDCHTTPClient())
    }

    private init(configuration: AuthConfiguration, database: PostgresDatabase, clock: any WallClock, keys: SigningKeyStore,
                 ring: SigningKeyRing, logger: Logger, oidcHTTP: any OIDCHTTPClient) throws {
        self.configuration = configuration
        self.database = database
        self.clock = clock
        self.keys = keys
        self.logger = logger
        store = AuthStore(database: database)
        oidc = OIDCLogin(http: oidcHTTP, store: OIDCStore(database: database, key: configuration.keyEncryptionKey), clock: clock)
        issuer = try AccessTokenIssuer(issuer: configuration.issuer, audience: [configuration.audience],
                                       lifetime: configuration.accessTokenLifetime)
        let initialKeys = ring.jwks(now: clock.now())
        jwksSource = InMemoryJWKSSource(initialKeys)
        self.ring = Mutex(ring)
        throttle = ThrottleGate(configuration.throttle, database: configuration.sharedThrottle ? database : nil)
        csrf = try CSRFTokens(key: configuration.csrfKey
            ?? HMACSHA256.authenticationCode(for: Array("pulse.csrf-key.v1".utf8), key: configuration.keyEncryptionKey.bytes))
        verifier = TokenVerifier(
            configuration: TokenVerifierConfiguration(policy: try ClaimsPolicy(issuer: configuration.issuer, audience: configuration.audience)),
            keySource: jwksSource, clock: clock)
    }

    /// The published key set (active and not-yet-expired retired keys).
    public func jwks() -> JWKSet { ring.withLock { $0.jwks(now: clock.now()) } }

    /// Rotates the signing key: a new key signs from now on, the old one verifies until its
    /// last token has expired.
    public func rotateSigningKey() async throws {
        var copy = ring.withLock { $0 }
        _ = try await keys.rotate(ring: &copy, now: clock.now())
        let updated = copy
        ring.withLock { $0 = updated }
        jwksSource.publish(updated.jwks(now: clock.now()))
    }

    static func normaliseEmail(_ email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    func sign(subject: String, clientID: Int, grants: Grants, sessionID: String?, kind: Identity.Kind) throws -> String {
        let ring = self.ring.withLock { $0 }
        return try issuer.issue(subject: subject, clientID: String(clientID), roles: grants.roles, permissions: grants.permissions,
                                sessionID: sessionID, kind: kind, ring: ring, now: clock.now()).token
    }

    // MARK: Password sign-in (login and grant_type=password)

    /// Checks throttling, the password (constant work for unknown accounts), and on success
    /// opens a session with a refresh-token family. Every decision is audited.
    public func signIn(clientSlug: String, email rawEmail: String, password: String, origin: RequestOrigin,
                       withCookie: Bool) async throws -> IssuedTokens {
        let email = Self.normaliseEmail(rawEmail)
        guard email.utf8.count <= 255, password.utf8.count <= 1024, clientSlug.utf8.count <= 63 else {
            throw OAuthError.invalidRequest("client, email or password is too long")
        }
        let now = clock.now()
        let clientID = try await store.clientID(slug: clientSlug)
        let accountKey = LoginThrottle.accountKey(clientID: clientID.map(String.init) ?? "slug:\(clientSlug)", email: email)
        let decision = try await throttle.check(account: accountKey, address: origin.address, now: now)
        guard decision.allowed else {
            if let clientID {
                try await store.audit(clientID: clientID, event: "login_throttled", outcome: "denied", actor: email,
                                      address: origin.address, userAgent: origin.userAgent,
                                      details: ["reason": decision.reason.rawValue], at: now)
            }
            let wait = max(1, Int((decision.retryAfter ?? now).timeIntervalSince(now).rounded(.up)))
            throw OAuthError.throttled(retryAfter: wait)
        }
        let user = try await clientID.asyncMap { try await store.user(clientID: $0, email: email) } ?? nil
        var verified = false
        if let user, user.active, let stored = user.passwordHash {
            verified = (try? configuration.passwordHasher.verify(password, against: stored)) ?? false
        } else {
            configuration.passwordHasher.verifyAgainstDummy(password)
        }
        guard verified, let user, let clientID else {
            let after = try await throttle.recordFailure(account: accountKey, address: origin.address, now: now)
            if let clientID {
                try await store.audit(clientID: clientID, event: "login_failed", outcome: "failure", userID: user?.id, actor: email,
                                      address: origin.address, userAgent: origin.userAgent,
                                      details: ["next": after.reason.rawValue, "account_failures": String(after.accountFailures)], at: now)
            } else {
                logger.notice("Sign-in for an unknown client refused", metadata: ["address": "\(origin.address)"])
            }
            throw OAuthError.invalidCredentials
        }
        try await throttle.recordSuccess(account: accountKey)
        if configuration.passwordHasher.needsRehash(user.passwordHash ?? "") {
            try await store.updatePasswordHash(clientID: clientID, userID: user.id, hash: configuration.passwordHasher.hash(password))
        }
        return try await openSession(clientID: clientID, userID: user.id, actor: email, origin: origin, withCookie: withCookie,
                                     via: withCookie ? "login" : "password_grant", now: now)
    }

    /// Starts a sign-in session for a user already authenticated (password or OIDC): a
    /// session row, a refresh-token family, `login_ok` audited, an access token, and the
    /// cookie value when `withCookie`.
    func openSession(clientID: Int, userID: Int, actor: String, origin: RequestOrigin, withCookie: Bool, via: String,
                     now: Date) async throws -> IssuedTokens {
        let grants = try await store.grants(clientID: clientID, userID: userID)
        let cookieSecret = withCookie ? SecureRandom.token() : nil
        let (refresh, session) = try await database.client(clientID).write { tx in
            let session = try await store.createSession(
                tx, clientID: clientID, userID: userID, cookieSecret: cookieSecret ?? SecureRandom.token(), address: origin.address,
                userAgent: origin.userAgent, expiresAt: now.addingTimeInterval(configuration.sessionLifetime), now: now)
            let sid = session.key.uuidString.lowercased()
            var (secret, record) = configuration.refreshPolicy.issueFirst(clientID: String(clientID), subject: String(userID),
                                                                          sessionID: sid, now: now)
            record.familyID = UUID().uuidString
            try await store.insertRefreshToken(tx, clientID: clientID, userID: userID, sessionRowID: session.rowID, record: record, parentID: nil)
            try await tx.query("UPDATE users SET last_login_at = $2 WHERE id = $1", userID, now)
            try await store.audit(tx, clientID: clientID, event: "login_ok", outcome: "success", userID: userID, actor: actor,
                                  address: origin.address, userAgent: origin.userAgent, details: ["sid": sid, "via": via], at: now)
            return (secret.token, sid)
        }
        let access = try sign(subject: String(userID), clientID: clientID, grants: grants, sessionID: session, kind: .user)
        return IssuedTokens(accessToken: access, expiresIn: Int(configuration.accessTokenLifetime), refreshToken: refresh,
                            sessionID: session, sessionCookie: cookieSecret.map { "\(clientID).\($0)" })
    }

    // MARK: grant_type=refresh_token

    /// Rotates a refresh token. A spent token presented again revokes the family and its
    /// session (pushed to every verifier).
    public func refresh(token: String, origin: RequestOrigin) async throws -> IssuedTokens {
        guard token.utf8.count <= 128 else { throw OAuthError.invalidGrant }
        let hash = RefreshTokenSecret.hash(of: token)
        guard let clientID = try await store.clientID(refreshTokenHash: hash), try await store.clientIsActive(clientID) else {
            throw OAuthError.invalidGrant
        }
        let now = clock.now()
        enum Outcome { case issued(String, Int, String?, Grants), reused, denied(String) }
        let outcome: Outcome = try await database.client(clientID).write { tx in
            guard let (locked, familyRevoked) = try await store.lockRefreshToken(tx, clientID: clientID, hash: hash) else {
                return .denied("unknown_token")
            }
            let decision = configuration.refreshPolicy.evaluate(presented: token, stored: locked.record, familyRevoked: familyRevoked,
                                                                clientID: String(clientID), now: now)
            switch decision {
            case .deny(let reason):
                try await store.audit(tx, clientID: clientID, event: "token_refresh_denied", outcome: "failure", userID: locked.userID,
                                      address: origin.address, userAgent: origin.userAgent, details: ["reason": reason.rawValue], at: now)
                return .denied(reason.rawValue)
            case .revokeFamily(let family, _):
                try await store.revokeFamily(tx, familyID: family, now: now)
                if let key = locked.sessionKey {
                    try await store.revokeSession(tx, key: key, now: now)
                    try await publish(tx, .session(id: key.uuidString.lowercased(), until: revocationHorizon(now)))
                }
                try await store.audit(tx, clientID: clientID, event: "refresh_token_reused", outcome: "revoked", userID: locked.userID,
                                      address: origin.address, userAgent: origin.userAgent, details: ["family": family], at: now)
                return .reused
            case .rotate(_, let successor, let secret):
                try await store.markSpent(tx, rowID: locked.rowID, now: now)
                try await store.insertRefreshToken(tx, clientID: clientID, userID: locked.userID, sessionRowID: locked.sessionRowID,
                                                   record: successor, parentID: locked.rowID)
                try await store.audit(tx, clientID: clientID, event: "token_refreshed", outcome: "success", userID: locked.userID,
                                      address: origin.address, userAgent: origin.userAgent, at: now)
                return .issued(secret.token, locked.userID, locked.record.sessionID, Grants())
            }
        }
        switch outcome {
        case .denied, .reused:
            if case .reused = outcome { /* the session is gone everywhere; the client must sign in again */ }
            throw OAuthError.invalidGrant
        case .issued(let refresh, let userID, let sid, _):
            guard let user = try await store.user(clientID: clientID, id: userID), user.active else { throw OAuthError.invalidGrant }
            let grants = try await store.grants(clientID: clientID, userID: userID)
            let access = try sign(subject: String(userID), clientID: clientID, grants: grants, sessionID: sid, kind: .user)
            return IssuedTokens(accessToken: access, expiresIn: Int(configuration.accessTokenLifetime), refreshToken: refresh,
                                sessionID: sid, sessionCookie: nil)
        }
    }

    // MARK: grant_type=client_credentials

    /// Service-account secrets are 256-bit random values, so (like refresh tokens) a SHA-256
    /// is the right stored form: a slow hash would only slow integrators down.
    /// How a service-account secret is stored (also used by `pulse service-accounts create`).
    public static func hashServiceAccountSecret(_ secret: String) -> String { "sha256$" + Hex.encode(SHA256.hash(secret)) }

    /// Creates a service account; the secret is returned once.
    public func createServiceAccount(clientID: Int, name: String, role: String?) async throws -> (key: String, secret: String) {
        let key = "sa_" + SecureRandom.token(byteCount: 12)
        let secret = SecureRandom.token()
        _ = try await store.createServiceAccount(clientID: clientID, name: name, key: key, secretHash: Self.hashServiceAccountSecret(secret),
                                                 role: role)
        return (key, secret)
    }

    /// Authenticates a service account; nil for any failure (unknown, disabled, wrong secret).
    func authenticateServiceAccount(key: String, secret: String) async throws -> StoredServiceAccount? {
        let check = try await checkServiceAccount(key: key, secret: secret)
        return check.grants == nil ? nil : check.known
    }

    /// Looks the key up once, with the account's grants in the same transaction: `known` is the
    /// account the key names (also when the secret is wrong, for the audit), `grants` is set only
    /// when key and secret authenticate an active account of an active client.
    func checkServiceAccount(key: String, secret: String) async throws -> (known: StoredServiceAccount?, grants: Grants?) {
        guard let found = try await store.serviceAccountWithGrants(key: key) else { return (nil, nil) }
        let presented = Self.hashServiceAccountSecret(secret)
        let authenticated = ConstantTime.equals(presented, found.account.secretHash) && found.account.active && found.clientActive
        return (found.account, authenticated ? found.grants : nil)
    }

    public func clientCredentials(key: String, secret: String, origin: RequestOrigin) async throws -> IssuedTokens {
        guard key.utf8.count <= 100, secret.utf8.count <= 256 else { throw OAuthError.invalidClient }
        let now = clock.now()
        let check = try await checkServiceAccount(key: key, secret: secret)
        guard let account = check.known, let grants = check.grants else {
            if let known = check.known {
                try await store.audit(clientID: known.clientID, event: "client_credentials_failed", outcome: "failure",
                                      serviceAccountID: known.id, actor: known.name, address: origin.address,
                                      userAgent: origin.userAgent, at: now)
            }
            throw OAuthError.invalidClient
        }
        let access = try sign(subject: account.key, clientID: account.clientID, grants: grants, sessionID: nil, kind: .serviceAccount)
        try await database.client(account.clientID).write { tx in
            try await tx.query("UPDATE service_accounts SET last_used_at = $2 WHERE id = $1", account.id, now)
            try await store.audit(tx, clientID: account.clientID, event: "token_issued", outcome: "success", serviceAccountID: account.id,
                                  actor: account.name, address: origin.address, userAgent: origin.userAgent,
                                  details: ["grant": "client_credentials"], at: now)
        }
        return IssuedTokens(accessToken: access, expiresIn: Int(configuration.accessTokenLifetime))
    }

    // MARK: Sessions and revocation

    /// The last moment a token of a session revoked now can still be valid.
    func revocationHorizon(_ now: Date) -> Date { now.addingTimeInterval(configuration.accessTokenLifetime + 60) }

    /// NOTIFY inside the transaction: delivered to every listener when it commits.
    func publish(_ tx: PostgresTransaction, _ event: RevocationEvent) async throws {
        try await tx.query("SELECT pg_notify($1, $2)", RevocationChannel.name, event.payload)
        verifier.apply(event)
    }

    /// Ends a session (logout): revokes it and its refresh tokens and pushes the revocation.
    public func endSession(clientID: Int, sessionID: String, userID: Int?, origin: RequestOrigin) async throws {
        guard let key = UUID(uuidString: sessionID) else { return }
        let now = clock.now()
        try await database.client(clientID).write { tx in
            let revoked = try await store.revokeSession(tx, key: key, now: now)
            if revoked { try await publish(tx, .session(id: key.uuidString.lowercased(), until: revocationHorizon(now))) }
            try await store.audit(tx, clientID: clientID, event: "logout", outcome: revoked ? "success" : "noop", userID: userID,
                                  address: origin.address, userAgent: origin.userAgent, details: ["sid": sessionID], at: now)
        }
    }

    /// The session behind a cookie value, if it is live.
    func session(cookie: String) async throws -> (clientID: Int, session: StoredSession)? {
        let parts = cookie.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let clientID = Int(parts[0]), clientID > 0, parts[1].utf8.count <= 64 else { return nil }
        guard let session = try await store.session(clientID: clientID, cookieSecret: String(parts[1])),
              session.revokedAt == nil, session.expiresAt > clock.now() else { return nil }
        return (clientID, session)
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let value): return try await transform(value)
        case .none: return nil
        }
    }
}
