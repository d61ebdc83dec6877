/// A key the token authority signs access tokens with: RS256 (RSA, the default) or EdDSA
/// (Ed25519). One ring can hold both, so a deployment can rotate from one algorithm to the
/// other while tokens signed by the old key keep verifying until they expire.
public struct SigningKey: Sendable {
    public enum Material: Sendable {
        case ed25519(Ed25519SigningKey)
        case rsa(RSASigningKey)
    }

    public let material: Material

    public init(_ key: Ed25519SigningKey) { material = .ed25519(key) }
    public init(_ key: RSASigningKey) { material = .rsa(key) }

    /// Algorithms the auth service can sign with.
    public static let signingAlgorithms: [JWSAlgorithm] = [.rs256, .edDSA]

    /// A fresh key for `algorithm` (RS256 → RSA-2048, EdDSA → Ed25519).
    public static func generate(_ algorithm: JWSAlgorithm) throws(SecurityError) -> SigningKey {
        switch algorithm {
        case .rs256: return SigningKey(try RSASigningKey.generate())
        case .edDSA: return SigningKey(Ed25519SigningKey.generate())
        case .es256: throw SecurityError(.unsupportedAlgorithm, "Pulse does not sign with ES256")
        }
    }

    public var keyID: String {
        switch material {
        case .ed25519(let key): return key.keyID
        case .rsa(let key): return key.keyID
        }
    }

    public var algorithm: JWSAlgorithm { verificationKey.algorithm }

    public var verificationKey: VerificationKey {
        switch material {
        case .ed25519(let key): return key.verificationKey
        case .rsa(let key): return key.verificationKey
        }
    }

    /// Signs a JWS signing input with the key's algorithm.
    public func sign(_ message: [UInt8]) throws(SecurityError) -> [UInt8] {
        switch material {
        case .ed25519(let key): return try key.sign(message)
        case .rsa(let key): return try key.sign(message)
        }
    }
}
