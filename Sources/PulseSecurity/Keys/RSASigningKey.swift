import COpenSSL

/// An RSA private key that signs Pulse access tokens with RS256 (RSASSA-PKCS1-v1_5, SHA-256).
/// The default signing algorithm: on this class of CPU OpenSSL verifies RSA-2048 about six
/// times faster than Ed25519, and every service verifies far more tokens than the auth
/// service signs. The `kid` defaults to the RFC 7638 thumbprint of the public key.
public struct RSASigningKey: Sendable {
    public let keyID: String
    public let verificationKey: VerificationKey
    package let pkey: PKey

    /// Modulus sizes we generate: 2048 (default, NIST-acceptable through 2030) or 3072.
    public static let allowedBits: Set<Int> = [2048, 3072, 4096]

    /// A fresh key pair from OpenSSL's CSPRNG (e = 65537).
    public static func generate(bits: Int = 2048, keyID: String? = nil) throws(SecurityError) -> RSASigningKey {
        guard allowedBits.contains(bits) else { throw SecurityError(.invalidKey, "RSA key size must be 2048, 3072 or 4096 bits") }
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else { throw SecurityError(.cryptoFailure, "RSA unavailable") }
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, Int32(bits)) == 1,
            EVP_PKEY_generate(ctx, &key) == 1, let key
        else {
            ERR_clear_error()
            throw SecurityError(.cryptoFailure, "RSA key generation failed")
        }
        return try RSASigningKey(pkey: PKey(key), keyID: keyID)
    }

    /// Imports a DER private key (PKCS#1 RSAPrivateKey or PKCS#8), as `privateKeyDER()` exports it.
    public init(privateKeyDER der: [UInt8], keyID: String? = nil) throws(SecurityError) {
        let key: OpaquePointer? = der.withUnsafeBufferPointer { buf in
            var cursor: UnsafePointer<UInt8>? = buf.baseAddress
            return d2i_AutoPrivateKey(nil, &cursor, buf.count)
        }
        guard let key else {
            ERR_clear_error()
            throw SecurityError(.invalidKey, "RSA private key could not be parsed")
        }
        try self.init(pkey: PKey(key), keyID: keyID)
    }

    private init(pkey: PKey, keyID: String?) throws(SecurityError) {
        guard pkey.isA("RSA") else { throw SecurityError(.invalidKey, "not an RSA key") }
        guard pkey.bits >= VerificationKey.minimumRSABits else { throw SecurityError(.invalidKey, "RSA key is shorter than 2048 bits") }
        guard let n = Self.parameter(pkey, "n"), let e = Self.parameter(pkey, "e") else {
            throw SecurityError(.cryptoFailure, "RSA public parameters could not be read")
        }
        var jwk = JWK(kty: "RSA", use: "sig", alg: JWSAlgorithm.rs256.rawValue, n: Base64URL.encode(n), e: Base64URL.encode(e))
        let kid: String
        if let keyID { kid = keyID } else { kid = try jwk.thumbprint() }
        jwk.kid = kid
        self.keyID = kid
        self.pkey = pkey
        self.verificationKey = VerificationKey(keyID: kid, algorithm: .rs256, jwk: jwk, pkey: pkey)
    }

    /// A big-endian unsigned key parameter (`n`, `e`).
    private static func parameter(_ pkey: PKey, _ name: String) -> [UInt8]? {
        var bn: OpaquePointer?
        guard EVP_PKEY_get_bn_param(pkey.pointer, name, &bn) == 1, let bn else {
            ERR_clear_error()
            return nil
        }
        defer { BN_free(bn) }
        var bytes = [UInt8](repeating: 0, count: (Int(BN_num_bits(bn)) + 7) / 8)
        _ = bytes.withUnsafeMutableBufferPointer { BN_bn2bin(bn, $0.baseAddress) }
        return bytes
    }

    /// The private key as DER. Package-only: it leaves the process only sealed (`EncryptedKeyStorage`).
    package func privateKeyDER() throws(SecurityError) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_PrivateKey(pkey.pointer, &out)
        guard length > 0, let out else {
            ERR_clear_error()
            throw SecurityError(.cryptoFailure, "RSA private key export failed")
        }
        defer { CRYPTO_clear_free(out, Int(length), #filePath, #line) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    /// Signs `message` with RS256.
    public func sign(_ message: [UInt8]) throws(SecurityError) -> [UInt8] {
        let pkey = self.pkey
        return try message.withUnsafeBufferPointer { buf throws(SecurityError) in
            try pkey.signRS256(message: UnsafeRawBufferPointer(buf))
        }
    }
}
