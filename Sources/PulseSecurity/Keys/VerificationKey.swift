import COpenSSL

/// A public key pinned to one JWS algorithm and one `kid`. Built from a JWK (Ed25519 `x`,
/// RSA `n`/`e`, EC P-256 `x`/`y`) or from an Ed25519 signing key.
public struct VerificationKey: Sendable {
    public let keyID: String
    public let algorithm: JWSAlgorithm
    /// The public JWK (what `/.well-known/jwks.json` publishes).
    public let jwk: JWK
    package let pkey: PKey

    /// Smallest RSA modulus accepted (NIST SP 800-57: 2048 bits).
    public static let minimumRSABits = 2048

    package init(keyID: String, algorithm: JWSAlgorithm, jwk: JWK, pkey: PKey) {
        self.keyID = keyID
        self.algorithm = algorithm
        self.jwk = jwk
        self.pkey = pkey
    }

    /// Builds a key from a public JWK. The algorithm comes from the key type (and must agree
    /// with `alg` when the JWK states one), so a token cannot choose how it is verified.
    public init(jwk: JWK) throws(SecurityError) {
        guard let kid = jwk.kid, !kid.isEmpty else { throw SecurityError(.invalidKey, "JWK has no kid") }
        if let use = jwk.use, use != "sig" { throw SecurityError(.invalidKey, "JWK is not a signature key") }
        let algorithm: JWSAlgorithm
        let der: [UInt8]
        switch (jwk.kty, jwk.crv) {
        case ("OKP", "Ed25519"):
            guard let x = jwk.x, let raw = try? Base64URL.decode(x), raw.count == 32 else {
                throw SecurityError(.invalidKey, "Ed25519 JWK x must be 32 bytes")
            }
            algorithm = .edDSA
            der = DER.ed25519SPKI(raw)
        case ("RSA", _):
            guard let n = jwk.n, let e = jwk.e, let modulus = try? Base64URL.decode(n),
                let exponent = try? Base64URL.decode(e), !exponent.isEmpty, exponent.count <= 8
            else { throw SecurityError(.invalidKey, "RSA JWK n or e is invalid") }
            // e = 1 would make every "signature" its own message representative; require an
            // odd exponent ≥ 3 (in practice 65537).
            let e64 = exponent.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard e64 >= 3, e64 & 1 == 1 else { throw SecurityError(.invalidKey, "RSA public exponent is unacceptable") }
            algorithm = .rs256
            der = DER.rsaSPKI(modulus: modulus, exponent: exponent)
        case ("EC", "P-256"):
            guard let x = jwk.x, let y = jwk.y, let xb = try? Base64URL.decode(x), let yb = try? Base64URL.decode(y),
                xb.count == 32, yb.count == 32
            else { throw SecurityError(.invalidKey, "P-256 JWK x or y is invalid") }
            algorithm = .es256
            der = DER.p256SPKI(x: xb, y: yb)
        default:
            throw SecurityError(.invalidKey, "unsupported JWK key type or curve")
        }
        if let stated = jwk.alg, stated != algorithm.rawValue {
            throw SecurityError(.invalidKey, "JWK alg does not match its key type")
        }
        let pkey = try PKey.publicKey(derSPKI: der)
        if algorithm == .rs256, pkey.bits < Self.minimumRSABits {
            throw SecurityError(.invalidKey, "RSA key is shorter than 2048 bits")
        }
        var published = JWK(kty: jwk.kty, kid: kid, use: "sig", alg: algorithm.rawValue, crv: jwk.crv)
        published.x = jwk.x
        published.y = jwk.y
        published.n = jwk.n
        published.e = jwk.e
        self.init(keyID: kid, algorithm: algorithm, jwk: published, pkey: pkey)
    }

    /// Verifies a JWS signature over `message` with this key's pinned algorithm.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        message.withUnsafeBytes { isValidSignature(signature, for: $0) }
    }

    package func isValidSignature(_ signature: [UInt8], for message: UnsafeRawBufferPointer) -> Bool {
        switch algorithm {
        case .edDSA:
            guard signature.count == 64 else { return false }
            return signature.withUnsafeBytes { pkey.verifyEdDSA(signature: $0, message: message) }
        case .rs256:
            // PKCS#1 v1.5 signatures are exactly the modulus length.
            guard signature.count == (pkey.bits + 7) / 8 else { return false }
            return signature.withUnsafeBytes { pkey.verifyRS256(signature: $0, message: message) }
        case .es256:
            guard let der = DER.ecdsaSignature(raw: signature) else { return false }
            return der.withUnsafeBytes { pkey.verify(signature: $0, message: message, sha256: true) }
        }
    }
}
