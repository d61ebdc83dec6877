import Foundation

/// The auth service's signing keys over time. The newest active key signs; a key retired by
/// rotation keeps verifying until every token it can have signed has expired
/// (`retiredAt + maximumTokenLifetime + leeway`), then it drops out of the JWKS.
public struct SigningKeyRing: Sendable {
    public struct Entry: Sendable {
        public let key: SigningKey
        public let createdAt: Date
        public internal(set) var retiredAt: Date?
    }

    public private(set) var entries: [Entry]
    /// The longest lifetime of a token signed by these keys.
    public let maximumTokenLifetime: TimeInterval
    /// Clock skew allowance verifiers use (a retired key outlives its tokens by this much).
    public let leeway: TimeInterval

    public init(maximumTokenLifetime: TimeInterval, leeway: TimeInterval = 30) {
        self.entries = []
        self.maximumTokenLifetime = maximumTokenLifetime
        self.leeway = leeway
    }

    /// Restores a ring from storage (entries in creation order).
    public init(entries: [Entry], maximumTokenLifetime: TimeInterval, leeway: TimeInterval = 30) {
        self.entries = entries.sorted { $0.createdAt < $1.createdAt }
        self.maximumTokenLifetime = maximumTokenLifetime
        self.leeway = leeway
    }

    public static func entry(_ key: SigningKey, createdAt: Date, retiredAt: Date? = nil) -> Entry {
        Entry(key: key, createdAt: createdAt, retiredAt: retiredAt)
    }

    /// The key that signs new tokens: the newest one not retired.
    public var activeKey: SigningKey? {
        entries.last(where: { $0.retiredAt == nil })?.key
    }

    /// Adds `key` as the new signing key and retires every other active key at `now`.
    /// A key id already in the ring is refused (two keys with one `kid` would be ambiguous).
    public mutating func rotate(to key: SigningKey, now: Date) throws(SecurityError) {
        guard !entries.contains(where: { $0.key.keyID == key.keyID }) else {
            throw SecurityError(.invalidKey, "a key with this key id is already in the ring")
        }
        for i in entries.indices where entries[i].retiredAt == nil { entries[i].retiredAt = now }
        entries.append(Entry(key: key, createdAt: now, retiredAt: nil))
    }

    public mutating func rotate(to key: Ed25519SigningKey, now: Date) throws(SecurityError) {
        try rotate(to: SigningKey(key), now: now)
    }

    /// Generates a fresh key for `algorithm` and rotates to it. The ring may hold keys of
    /// several algorithms: switching algorithms is an ordinary rotation.
    @discardableResult
    public mutating func rotate(now: Date, algorithm: JWSAlgorithm) throws(SecurityError) -> SigningKey {
        while true {
            let key = try SigningKey.generate(algorithm)
            // The thumbprint kid of a fresh random key cannot collide in practice; loop anyway.
            if (try? rotate(to: key, now: now)) != nil { return key }
        }
    }

    /// Rotates to a fresh Ed25519 key (cheap to generate; tests and tools).
    @discardableResult
    public mutating func rotate(now: Date) -> Ed25519SigningKey {
        let key = Ed25519SigningKey.generate()
        if (try? rotate(to: key, now: now)) != nil { return key }
        return rotate(now: now)
    }

    /// True while tokens signed by this entry may still be valid somewhere.
    public func isPublished(_ entry: Entry, now: Date) -> Bool {
        guard let retired = entry.retiredAt else { return true }
        return now < retired.addingTimeInterval(maximumTokenLifetime + leeway)
    }

    /// Keys that verify at `now`: the active key and retired keys whose tokens may still live.
    public func verificationKeys(now: Date) -> [VerificationKey] {
        entries.filter { isPublished($0, now: now) }.map(\.key.verificationKey)
    }

    /// The JWKS to publish at `now`.
    public func jwks(now: Date) -> JWKSet { JWKSet(keys: verificationKeys(now: now).map(\.jwk)) }

    /// Drops retired keys whose tokens have all expired; returns their ids (to delete from storage).
    @discardableResult
    public mutating func prune(now: Date) -> [String] {
        let ring = self
        let dead = entries.filter { !ring.isPublished($0, now: now) }.map(\.key.keyID)
        entries.removeAll { !ring.isPublished($0, now: now) }
        return dead
    }
}

/// Private signing keys at rest: AES-256-GCM under the configured key, with the `kid` as
/// associated data so a stored key cannot be swapped onto another row. Format:
/// `v1.<base64url(nonce ‖ ciphertext ‖ tag)>`.
public struct EncryptedKeyStorage: Sendable {
    private let key: AESGCMKey
    static let prefix = "v1."

    public init(encryptionKey: AESGCMKey) { self.key = encryptionKey }

    /// The algorithm is bound too, so an RSA row relabelled as EdDSA (or back) fails to open.
    private static func associatedData(keyID: String, algorithm: JWSAlgorithm = .edDSA) -> [UInt8] {
        let label = algorithm == .edDSA ? "ed25519" : algorithm.rawValue.lowercased()
        return Array("pulse.signing-key.\(label):\(keyID)".utf8)
    }

    public func export(_ signingKey: Ed25519SigningKey) throws(SecurityError) -> String {
        try export(SigningKey(signingKey))
    }

    /// Seals any signing key: the Ed25519 seed, or the RSA private key as DER.
    public func export(_ signingKey: SigningKey) throws(SecurityError) -> String {
        let secret: [UInt8]
        switch signingKey.material {
        case .ed25519(let k): secret = k.privateKeyBytes()
        case .rsa(let k): secret = try k.privateKeyDER()
        }
        let sealed = try AESGCM.seal(secret, key: key, associatedData: Self.associatedData(keyID: signingKey.keyID, algorithm: signingKey.algorithm))
        return Self.prefix + Base64URL.encode(sealed)
    }

    /// Opens a sealed key of `algorithm` stored under `keyID`.
    public func importKey(_ stored: String, keyID: String, algorithm: JWSAlgorithm) throws(SecurityError) -> SigningKey {
        guard stored.hasPrefix(Self.prefix), let sealed = try? Base64URL.decode(String(stored.dropFirst(Self.prefix.count)))
        else { throw SecurityError(.invalidInput, "stored signing key is malformed") }
        let secret = try AESGCM.open(sealed, key: key, associatedData: Self.associatedData(keyID: keyID, algorithm: algorithm))
        switch algorithm {
        case .edDSA: return SigningKey(try Ed25519SigningKey(privateKey: secret, keyID: keyID))
        case .rs256: return SigningKey(try RSASigningKey(privateKeyDER: secret, keyID: keyID))
        case .es256: throw SecurityError(.unsupportedAlgorithm, "Pulse does not sign with ES256")
        }
    }

    public func `import`(_ stored: String, keyID: String) throws(SecurityError) -> Ed25519SigningKey {
        guard stored.hasPrefix(Self.prefix), let sealed = try? Base64URL.decode(String(stored.dropFirst(Self.prefix.count)))
        else { throw SecurityError(.invalidInput, "stored signing key is malformed") }
        let seed = try AESGCM.open(sealed, key: key, associatedData: Self.associatedData(keyID: keyID))
        return try Ed25519SigningKey(privateKey: seed, keyID: keyID)
    }
}
