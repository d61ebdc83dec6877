import Foundation
import Testing
@testable import PulseSecurity

/// Our code against independent implementations: RFC 8037's published Ed25519 vectors,
/// tokens signed by Python `cryptography`, and live `openssl` CLI keys and signatures.
@Suite struct InteropTests {
    @Test func rfc8037Ed25519SignatureAndThumbprint() throws {
        let key = try Ed25519SigningKey(privateKey: Base64URL.decode(InteropVectors.rfc8037D), keyID: "rfc8037")
        #expect(Base64URL.encode(key.publicKey) == InteropVectors.rfc8037X)
        // Ed25519 is deterministic: we must produce the RFC's exact signature.
        // Several times: later signatures come from a reused (pooled) OpenSSL context.
        for _ in 0..<3 {
            let signature = try key.sign(Array(InteropVectors.rfc8037SigningInput.utf8))
            #expect(Base64URL.encode(signature) == InteropVectors.rfc8037Signature)
        }
        let jwk = JWK(kty: "OKP", crv: "Ed25519", x: InteropVectors.rfc8037X)
        #expect(try jwk.thumbprint() == InteropVectors.rfc8037Thumbprint)
        #expect(try Ed25519SigningKey(privateKey: Base64URL.decode(InteropVectors.rfc8037D)).keyID == InteropVectors.rfc8037Thumbprint)
    }

    @Test func rfc8037JWSVerifiesFromPublicJWK() throws {
        let vk = try VerificationKey(jwk: JWK(kty: "OKP", kid: "a4", crv: "Ed25519", x: InteropVectors.rfc8037X))
        let parsed = try JWT.parse(InteropVectors.rfc8037SigningInput + "." + InteropVectors.rfc8037Signature)
        #expect(parsed.header.alg == "EdDSA")
        try JWT.checkSignature(parsed, key: vk)
        var bad = try Base64URL.decode(InteropVectors.rfc8037Signature)
        bad[10] ^= 4
        #expect(!vk.isValidSignature(bad, for: Array(InteropVectors.rfc8037SigningInput.utf8)))
    }

    func validator(jwk: String) throws -> OIDCIDTokenValidator {
        let set = try JWKSet(json: Array(#"{"keys":[\#(jwk)]}"#.utf8))
        return try OIDCIDTokenValidator(issuer: InteropVectors.issuer, clientID: InteropVectors.audience,
            keySource: InMemoryJWKSSource(set), clock: ManualWallClock(Date(timeIntervalSince1970: InteropVectors.issuedAt + 60)))
    }

    @Test func rs256IdTokenFromPythonCryptographyVerifies() async throws {
        let user = try await validator(jwk: InteropVectors.rsaJWK).validate(InteropVectors.rsaToken, expectedNonce: InteropVectors.nonce)
        #expect(user.subject == "00u1abcd")
        #expect(user.email == "Ana@Example.test")
        #expect(user.emailVerified)
    }

    @Test func es256IdTokenFromPythonCryptographyVerifies() async throws {
        let user = try await validator(jwk: InteropVectors.ecJWK).validate(InteropVectors.ecToken, expectedNonce: InteropVectors.nonce)
        #expect(user.subject == "00u1abcd")
    }

    @Test func rs256TokenWithFlippedBitFails() async throws {
        var token = Array(InteropVectors.rsaToken.utf8)
        let i = token.count - 10
        token[i] = token[i] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let v = try validator(jwk: InteropVectors.rsaJWK)
        await expectError(.badSignature) { _ = try await v.validate(String(decoding: token, as: UTF8.self), expectedNonce: InteropVectors.nonce) }
    }

    /// A fresh RSA key and signature from the `openssl` CLI, verified by our RS256 path.
    @Test func rs256SignedByOpenSSLCLIVerifies() throws {
        try withTemporaryDirectory { dir in
            let (keyPath, modulus) = try generateRSAKeyWithCLI(bits: 2048, in: dir)
            let jwk = JWK(kty: "RSA", kid: "cli-rsa", n: Base64URL.encode(modulus), e: Base64URL.encode([1, 0, 1]))
            let vk = try VerificationKey(jwk: jwk)
            #expect(vk.algorithm == .rs256)
            let input = Base64URL.encode(#"{"alg":"RS256","kid":"cli-rsa"}"#) + "." + Base64URL.encode(#"{"iss":"cli"}"#)
            let msgPath = dir.appendingPathComponent("msg").path
            try Data(input.utf8).write(to: URL(fileURLWithPath: msgPath))
            let signature = try run("/usr/bin/openssl", ["dgst", "-sha256", "-sign", keyPath, "-binary", msgPath])
            #expect(signature.count == 256)
            #expect(vk.isValidSignature(signature, for: Array(input.utf8)))
            #expect(!vk.isValidSignature(signature, for: Array((input + "x").utf8)))
            for badExponent in [[1], [2], [0, 1], [1, 0, 0]] as [[UInt8]] {
                expectError(.invalidKey) {
                    _ = try VerificationKey(jwk: JWK(kty: "RSA", kid: "e", n: Base64URL.encode(modulus), e: Base64URL.encode(badExponent)))
                }
            }
        }
    }

    /// Both directions with the `openssl` CLI for Ed25519: it signs, we verify; we sign, it verifies.
    @Test func ed25519InteropWithOpenSSLCLI() throws {
        try withTemporaryDirectory { dir in
            let keyPath = dir.appendingPathComponent("ed.pem").path
            let msgPath = dir.appendingPathComponent("msg").path
            let sigPath = dir.appendingPathComponent("sig").path
            _ = try run("/usr/bin/openssl", ["genpkey", "-algorithm", "ed25519", "-out", keyPath])
            let spki = try run("/usr/bin/openssl", ["pkey", "-in", keyPath, "-pubout", "-outform", "DER"])
            let vk = try VerificationKey(jwk: JWK(kty: "OKP", kid: "cli-ed", crv: "Ed25519", x: Base64URL.encode(spki.suffix(32))))
            let message = Array("header.payload from openssl".utf8)
            try Data(message).write(to: URL(fileURLWithPath: msgPath))
            _ = try run("/usr/bin/openssl", ["pkeyutl", "-sign", "-inkey", keyPath, "-rawin", "-in", msgPath, "-out", sigPath])
            let signature = Array(try Data(contentsOf: URL(fileURLWithPath: sigPath)))
            #expect(vk.isValidSignature(signature, for: message))

            let ours = Ed25519SigningKey.generate()
            let pubPath = dir.appendingPathComponent("pub.der").path
            try Data(DER.ed25519SPKI(ours.publicKey)).write(to: URL(fileURLWithPath: pubPath))
            try Data(try ours.sign(message)).write(to: URL(fileURLWithPath: sigPath))
            let verdict = try run("/usr/bin/openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", pubPath, "-keyform", "DER",
                "-rawin", "-in", msgPath, "-sigfile", sigPath])
            #expect(String(decoding: verdict, as: UTF8.self).contains("Signature Verified Successfully"))
        }
    }

    @Test func weakRSAKeysAreRefused() throws {
        try withTemporaryDirectory { dir in
            let (_, modulus) = try generateRSAKeyWithCLI(bits: 1024, in: dir)
            expectError(.invalidKey) { _ = try VerificationKey(jwk: JWK(kty: "RSA", kid: "weak", n: Base64URL.encode(modulus), e: "AQAB")) }
        }
    }

    /// `openssl genpkey` an RSA key; returns its PEM path and modulus bytes.
    func generateRSAKeyWithCLI(bits: Int, in dir: URL) throws -> (String, [UInt8]) {
        let keyPath = dir.appendingPathComponent("rsa\(bits).pem").path
        _ = try run("/usr/bin/openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:\(bits)", "-out", keyPath])
        let line = String(decoding: try run("/usr/bin/openssl", ["rsa", "-in", keyPath, "-noout", "-modulus"]), as: UTF8.self)
        return (keyPath, try Hex.decode(String(line.trimmingWhitespace().dropFirst("Modulus=".count))))
    }
}
