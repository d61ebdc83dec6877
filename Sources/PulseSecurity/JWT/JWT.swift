import Foundation

/// Compact JWS encoding and strict decoding. `JWT.sign` produces Pulse access tokens;
/// `JWT.verify` is the one verification path (the verifier and the OIDC validator both use it).
public enum JWT {
    /// Default upper bound on a token's size (header + payload + signature, as text).
    public static let defaultMaximumBytes = 8 * 1024
    /// The `typ` of Pulse access tokens (RFC 9068), so an id_token or other JWT signed by a
    /// trusted key is not accepted where an access token is expected.
    public static let accessTokenType = "at+jwt"

    /// Signs `claims` with an Ed25519 key (EdDSA), putting the key's `kid` in the header.
    public static func sign(_ claims: JWTClaims, with key: Ed25519SigningKey, type: String = accessTokenType) throws(SecurityError) -> String {
        try sign(claims, with: SigningKey(key), type: type)
    }

    /// Signs `claims` with `key` in the key's algorithm (RS256 or EdDSA), `kid` in the header.
    public static func sign(_ claims: JWTClaims, with key: SigningKey, type: String = accessTokenType) throws(SecurityError) -> String {
        let header = JWTHeader(alg: key.algorithm.rawValue, kid: key.keyID, typ: type)
        let signingInput = Base64URL.encode(header.jsonBytes()) + "." + Base64URL.encode(claims.jsonBytes())
        let signature = try key.sign(Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }

    /// A token split and its header decoded, signature not yet checked.
    public struct Parsed: Sendable {
        public let header: JWTHeader
        /// `base64url(header) "." base64url(payload)` as bytes: what the signature covers.
        public let signingInput: [UInt8]
        let payloadRange: Range<Int>
        public let signature: [UInt8]

        /// Decodes the payload. Call only after the signature verified.
        public func claims() throws(SecurityError) -> JWTClaims {
            let range = payloadRange
            let payload = try signingInput.withUnsafeBufferPointer { buf throws(SecurityError) in
                do {
                    return try Base64URL.decode(UnsafeBufferPointer(rebasing: buf[range]))
                } catch {
                    throw SecurityError(.malformedToken, "token payload is not base64url")
                }
            }
            return try JWTClaims(strictJSON: payload)
        }
    }

    /// Splits and decodes a compact JWS strictly: exactly three non-empty base64url parts,
    /// canonical encoding, header and payload JSON objects, total size bounded.
    public static func parse(_ token: String, maximumBytes: Int = defaultMaximumBytes) throws(SecurityError) -> Parsed {
        let bytes = Array(token.utf8)
        guard bytes.count <= maximumBytes else { throw SecurityError(.tokenTooLarge, "token exceeds the size limit") }
        let malformed = SecurityError(.malformedToken, "token is not a compact JWS")
        var dots: [Int] = []
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: ".") {
            dots.append(i)
            if dots.count > 2 { throw malformed }
        }
        guard dots.count == 2, dots[0] > 0, dots[1] > dots[0] + 1, dots[1] < bytes.count - 1 else { throw malformed }
        let (headerBytes, signature) = try bytes.withUnsafeBufferPointer { buf throws(SecurityError) in
            do {
                return (
                    try Base64URL.decode(UnsafeBufferPointer(rebasing: buf[0..<dots[0]])),
                    try Base64URL.decode(UnsafeBufferPointer(rebasing: buf[(dots[1] + 1)...]))
                )
            } catch { throw malformed }
        }
        let header = try JWTHeader(strictJSON: headerBytes)
        return Parsed(header: header, signingInput: Array(bytes[0..<dots[1]]), payloadRange: (dots[0] + 1)..<dots[1], signature: signature)
    }

    /// Full verification: parse, refuse `none` and unsupported algorithms, find the key by
    /// `kid`, require the header `alg` to equal the key's pinned algorithm, check the
    /// signature, then decode and validate the claims against `policy` at `now`.
    public static func verify(_ token: String, policy: ClaimsPolicy, now: Date,
        key lookup: (String) -> VerificationKey?) throws(SecurityError) -> JWTClaims {
        let parsed = try parse(token, maximumBytes: policy.maximumTokenBytes)
        let key = try selectKey(for: parsed.header, policy: policy, lookup: lookup)
        try checkSignature(parsed, key: key)
        let claims = try parsed.claims()
        try policy.validate(claims, now: now)
        return claims
    }

    /// Header checks and key selection (split out so the verifier can refetch keys between
    /// "unknown kid" and a second attempt).
    public static func selectKey(for header: JWTHeader, policy: ClaimsPolicy,
        lookup: (String) -> VerificationKey?) throws(SecurityError) -> VerificationKey {
        if header.alg.lowercased() == "none" {
            throw SecurityError(.unsupportedAlgorithm, "unsigned tokens (alg none) are never accepted")
        }
        guard let alg = JWSAlgorithm(rawValue: header.alg), policy.allowedAlgorithms.contains(alg) else {
            throw SecurityError(.unsupportedAlgorithm, "token algorithm is not accepted")
        }
        if header.crit != nil { throw SecurityError(.malformedToken, "critical header extensions are not supported") }
        if let expected = policy.expectedType, header.typ?.lowercased() != expected.lowercased() {
            throw SecurityError(.malformedToken, "token type is not the expected one")
        }
        guard let kid = header.kid, !kid.isEmpty else { throw SecurityError(.unknownKeyID, "token has no key id") }
        guard let key = lookup(kid) else { throw SecurityError(.unknownKeyID, "no key with this key id") }
        // The key decides the algorithm. A header naming another one (HS256 with the public
        // key as HMAC secret, RS256 against an Ed25519 key, ...) is refused outright.
        guard key.algorithm == alg else { throw SecurityError(.algorithmMismatch, "token algorithm does not match the key") }
        return key
    }

    public static func checkSignature(_ parsed: Parsed, key: VerificationKey) throws(SecurityError) {
        let ok = parsed.signingInput.withUnsafeBytes { key.isValidSignature(parsed.signature, for: $0) }
        guard ok else { throw SecurityError(.badSignature, "signature verification failed") }
    }
}
