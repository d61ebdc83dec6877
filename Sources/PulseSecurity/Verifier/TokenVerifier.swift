import Foundation
import Synchronization

/// Settings of the verifier every Pulse service runs.
public struct TokenVerifierConfiguration: Sendable {
    public var policy: ClaimsPolicy
    public var keySet: JWKSCache.Configuration
    /// Tokens whose signature was verified are remembered (by their exact text) so a client
    /// sending the same token on many requests pays for one signature check. Expiry, key
    /// presence and revocation are still checked on every use. 0 disables the cache.
    public var verifiedTokenCacheSize: Int

    public init(policy: ClaimsPolicy, keySet: JWKSCache.Configuration = .init(), verifiedTokenCacheSize: Int = 10_000) {
        self.policy = policy
        self.keySet = keySet
        self.verifiedTokenCacheSize = verifiedTokenCacheSize
    }
}

/// Verifies Pulse access tokens locally: signature against the cached JWKS (refetched on an
/// unknown `kid`, rate-limited), `typ`, `iss`, `aud`, `exp`, `nbf`, then the revocation list
/// fed by pushes. Produces an `Identity`. Safe to share across threads and tasks.
public final class TokenVerifier: Sendable {
    public let configuration: TokenVerifierConfiguration
    public let keys: JWKSCache
    private let clock: any WallClock
    private let revocations = Mutex(RevocationList())
    private let verified: Mutex<VerifiedTokenCache>

    public init(configuration: TokenVerifierConfiguration, keySource: any JWKSFetching, clock: any WallClock = SystemWallClock()) {
        self.configuration = configuration
        self.clock = clock
        self.keys = JWKSCache(source: keySource, configuration: configuration.keySet, clock: clock)
        self.verified = Mutex(VerifiedTokenCache(capacity: configuration.verifiedTokenCacheSize))
    }

    /// Verifies `token`; on an unknown `kid` refetches the JWKS once (rate-limited) and retries.
    public func verify(_ token: String) async throws(SecurityError) -> Identity {
        do {
            return try verifyWithCachedKeys(token)
        } catch where error.code == .unknownKeyID {
            let parsed = try JWT.parse(token, maximumBytes: configuration.policy.maximumTokenBytes)
            guard let kid = parsed.header.kid, !kid.isEmpty else { throw error }
            _ = try await keys.key(for: kid, refetchIfUnknown: true)
            return try verifyWithCachedKeys(token)
        }
    }

    /// Verifies against the keys already cached, never fetching. Throws `unknownKeyID` when
    /// the key is not cached (callers that cannot await may then schedule `keys.refresh()`).
    public func verifyWithCachedKeys(_ token: String) throws(SecurityError) -> Identity {
        let now = clock.now()
        let policy = configuration.policy
        // Bound the work (hashing for the cache lookup included) before anything else.
        guard token.utf8.count <= policy.maximumTokenBytes else {
            throw SecurityError(.tokenTooLarge, "token exceeds the size limit")
        }
        let identity: Identity
        let claims: JWTClaims
        // A cache hit counts only while the very key that verified it is still published.
        if let hit = verified.withLock({ $0.lookup(token) }), keys.key(for: hit.key.keyID)?.jwk == hit.key.jwk {
            claims = hit.claims
            identity = hit.identity
            try policy.validateTimes(claims, now: now)
        } else {
            let parsed = try JWT.parse(token, maximumBytes: policy.maximumTokenBytes)
            let key = try JWT.selectKey(for: parsed.header, policy: policy, lookup: keys.key(for:))
            try JWT.checkSignature(parsed, key: key)
            claims = try parsed.claims()
            try policy.validate(claims, now: now)
            identity = try Identity(claims: claims)
            verified.withLock { $0.insert(token, VerifiedTokenCache.Entry(claims: claims, identity: identity, key: key)) }
        }
        if revocations.withLock({ $0.isRevoked(claims, now: now) }) {
            throw SecurityError(.revoked, "the session of this token was revoked")
        }
        return identity
    }

    /// Applies a pushed revocation; effective for the very next verification.
    public func apply(_ event: RevocationEvent) {
        revocations.withLock { $0.apply(event) }
    }

    /// Applies many events at once, e.g. the still-valid revocations loaded from the database
    /// at startup (pushes sent before this process listened are not lost).
    public func apply(contentsOf events: some Sequence<RevocationEvent>) {
        revocations.withLock { list in for event in events { list.apply(event) } }
    }

    /// Applies a raw NOTIFY payload (see `RevocationEvent.init(payload:)`).
    public func apply(payload: String) throws(SecurityError) {
        apply(try RevocationEvent(payload: payload))
    }

    /// Drops expired revocations and expired cached tokens (call from a periodic timer).
    public func prune() {
        let now = clock.now()
        revocations.withLock { $0.prune(now: now) }
        verified.withLock { $0.removeExpired(now: now) }
    }

    public var revocationCount: Int { revocations.withLock { $0.count } }
}

/// A bounded two-generation map from token text to verified claims: inserts go to the young
/// generation; when it is full the old generation is dropped and the young one ages. Memory
/// stays below 2 × capacity entries, every operation is O(1).
struct VerifiedTokenCache: Sendable {
    struct Entry: Sendable {
        let claims: JWTClaims
        let identity: Identity
        let key: VerificationKey
    }

    let capacity: Int
    private var young: [String: Entry] = [:]
    private var old: [String: Entry] = [:]

    init(capacity: Int) { self.capacity = max(0, capacity) }

    mutating func lookup(_ token: String) -> Entry? {
        if let e = young[token] { return e }
        guard let e = old[token] else { return nil }
        insert(token, e)
        return e
    }

    mutating func insert(_ token: String, _ entry: Entry) {
        guard capacity > 0 else { return }
        if young.count >= capacity {
            old = young
            young = [:]
            young.reserveCapacity(capacity)
        }
        young[token] = entry
    }

    mutating func removeExpired(now: Date) {
        let t = Int64(now.timeIntervalSince1970)
        young = young.filter { ($0.value.claims.expiresAt ?? 0) > t }
        old = old.filter { ($0.value.claims.expiresAt ?? 0) > t }
    }
}
