import COpenSSL

/// An Ed25519 private key that signs Pulse access tokens. The `kid` defaults to the RFC 7638
/// thumbprint of the public key.
public struct Ed25519SigningKey: Sendable {
    public let keyID: String
    public let publicKey: [UInt8]
    public let verificationKey: VerificationKey
    package let pkey: PKey

    /// A fresh key from the OS CSPRNG (an Ed25519 private key is 32 random bytes, RFC 8032 §5.1.5).
    public static func generate(keyID: String? = nil) -> Ed25519SigningKey {
        // Only fails if OpenSSL lacks Ed25519, which the build already requires.
        try! Ed25519SigningKey(privateKey: SecureRandom.bytes(32), keyID: keyID)
    }

    /// Imports a 32-byte Ed25519 private key (seed).
    public init(privateKey seed: [UInt8], keyID: String? = nil) throws(SecurityError) {
        guard seed.count == 32 else { throw SecurityError(.invalidKey, "Ed25519 private key must be 32 bytes") }
        guard let raw = seed.withUnsafeBufferPointer({ EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32) })
        else {
            ERR_clear_error()
            throw SecurityError(.invalidKey, "Ed25519 private key rejected")
        }
        let pkey = PKey(raw)
        var length = 32
        var pub = [UInt8](repeating: 0, count: 32)
        guard EVP_PKEY_get_raw_public_key(raw, &pub, &length) == 1, length == 32 else {
            throw SecurityError(.cryptoFailure, "Ed25519 public key derivation failed")
        }
        var jwk = JWK(kty: "OKP", use: "sig", alg: JWSAlgorithm.edDSA.rawValue, crv: "Ed25519", x: Base64URL.encode(pub))
        let kid: String
        if let keyID { kid = keyID } else { kid = try jwk.thumbprint() }
        jwk.kid = kid
        self.keyID = kid
        self.publicKey = pub
        self.pkey = pkey
        self.verificationKey = VerificationKey(keyID: kid, algorithm: .edDSA, jwk: jwk, pkey: pkey)
    }

    /// The 32-byte private seed. Package-only: it leaves the process only encrypted
    /// (`EncryptedKeyStorage`).
    package func privateKeyBytes() -> [UInt8] {
        var length = 32
        var seed = [UInt8](repeating: 0, count: 32)
        let ok = EVP_PKEY_get_raw_private_key(pkey.pointer, &seed, &length)
        precondition(ok == 1 && length == 32, "Ed25519 private key export failed")
        return seed
    }

    /// Signs `message` (pure Ed25519, 64-byte signature).
    public func sign(_ message: [UInt8]) throws(SecurityError) -> [UInt8] {
        let pkey = self.pkey
        return try message.withUnsafeBufferPointer { buf throws(SecurityError) in
            try pkey.signEdDSA(message: UnsafeRawBufferPointer(buf))
        }
    }
}
