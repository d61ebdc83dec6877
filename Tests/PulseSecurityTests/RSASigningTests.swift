import Foundation
import Testing
@testable import PulseSecurity

/// RS256 access tokens (the default algorithm): key generation, pooled sign/verify contexts,
/// sealed storage, rotation across algorithms, and interop with the `openssl` CLI.
@Suite struct RSASigningTests {
    static let key = try! RSASigningKey.generate()

    @Test func rs256TokenVerifiesAndCarriesTheKeysKid() throws {
        let key = SigningKey(Self.key)
        let thumbprint = try key.verificationKey.jwk.thumbprint()
        #expect(key.algorithm == .rs256 && key.keyID == thumbprint)
        let token = try JWT.sign(accessClaims(), with: key)
        let parsed = try JWT.parse(token)
        #expect(parsed.header.alg == "RS256" && parsed.header.kid == key.keyID && parsed.signature.count == 256)
        let claims = try JWT.verify(token, policy: testPolicy(), now: epoch, key: { $0 == key.keyID ? key.verificationKey : nil })
        #expect(claims.subject == "user-42")
        // The JWK publishes n and e only; it round-trips through a JWKS document.
        let published = JWKSet(keys: [key.verificationKey.jwk])
        #expect(!String(decoding: published.jsonBytes(), as: UTF8.self).contains("\"d\""))
        let parsedSet = try JWKSet(json: published.jsonBytes()).verificationKeys()
        _ = try JWT.verify(token, policy: testPolicy(), now: epoch, key: { parsedSet[$0] })
    }

    /// Pooled contexts stay correct across many calls, interleaved failures and threads.
    @Test func pooledContextsSurviveFailuresAndConcurrency() async throws {
        let vk = Self.key.verificationKey
        let message = Array("header.payload".utf8)
        let signature = try Self.key.sign(message)
        var flipped = signature
        flipped[17] ^= 0x01
        for _ in 0..<20 {
            #expect(vk.isValidSignature(signature, for: message))
            #expect(!vk.isValidSignature(flipped, for: message))
            #expect(!vk.isValidSignature(signature, for: message + [0]))
        }
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask {
                    let m = Array("message \(i)".utf8)
                    guard let s = try? Self.key.sign(m) else { return false }
                    return (0..<50).allSatisfy { _ in vk.isValidSignature(s, for: m) && !vk.isValidSignature(s, for: message) }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 8))
    }

    @Test func sealedRSAKeyRoundTripsAndIsBoundToKidAndAlgorithm() throws {
        let storage = EncryptedKeyStorage(encryptionKey: AESGCMKey.generate())
        let key = SigningKey(Self.key)
        let stored = try storage.export(key)
        #expect(stored.hasPrefix("v1."))
        let restored = try storage.importKey(stored, keyID: key.keyID, algorithm: .rs256)
        #expect(restored.verificationKey.jwk == key.verificationKey.jwk)
        let token = try JWT.sign(accessClaims(), with: restored)
        _ = try JWT.verify(token, policy: testPolicy(), now: epoch, key: { _ in key.verificationKey })
        expectError(.decryptionFailed) { _ = try storage.importKey(stored, keyID: "other", algorithm: .rs256) }
        expectError(.decryptionFailed) { _ = try storage.importKey(stored, keyID: key.keyID, algorithm: .edDSA) }
        expectError(.invalidKey) { _ = try RSASigningKey(privateKeyDER: [0x30, 0x03, 0x02, 0x01, 0x00]) }
        expectError(.invalidKey) { _ = try RSASigningKey.generate(bits: 1024) }
    }

    /// Switching algorithms is a rotation: Ed25519 tokens keep verifying until they expire.
    @Test func rotationAcrossAlgorithmsKeepsOldTokensValid() throws {
        var ring = SigningKeyRing(maximumTokenLifetime: 900, leeway: 30)
        let ed = ring.rotate(now: epoch)
        let edToken = try JWT.sign(accessClaims(now: epoch.addingTimeInterval(10)), with: ring.activeKey!)
        try ring.rotate(to: SigningKey(Self.key), now: epoch.addingTimeInterval(100))
        #expect(ring.activeKey?.algorithm == .rs256)
        let rsToken = try JWT.sign(accessClaims(now: epoch.addingTimeInterval(200)), with: ring.activeKey!)
        let keys = Dictionary(uniqueKeysWithValues: ring.verificationKeys(now: epoch.addingTimeInterval(200)).map { ($0.keyID, $0) })
        #expect(Set(keys.values.map(\.algorithm)) == [.rs256, .edDSA])
        _ = try JWT.verify(edToken, policy: testPolicy(), now: epoch.addingTimeInterval(200), key: { keys[$0] })
        _ = try JWT.verify(rsToken, policy: testPolicy(), now: epoch.addingTimeInterval(200), key: { keys[$0] })
        // A header claiming the other algorithm for a key is refused (the key decides).
        let parsed = try JWT.parse(edToken)
        let forged = Base64URL.encode(#"{"alg":"RS256","kid":"\#(ed.keyID)","typ":"at+jwt"}"#) + "."
            + String(decoding: parsed.signingInput, as: UTF8.self).split(separator: ".")[1] + "." + Base64URL.encode(parsed.signature)
        expectError(.algorithmMismatch) { _ = try JWT.verify(forged, policy: testPolicy(), now: epoch.addingTimeInterval(200), key: { keys[$0] }) }
        #expect(ring.jwks(now: epoch.addingTimeInterval(100 + 930)).keys.map(\.kid) == [Self.key.keyID])
    }

    /// We sign, the `openssl` CLI verifies with the public key built from our JWK.
    @Test func rs256SignatureVerifiesWithOpenSSLCLI() throws {
        try withTemporaryDirectory { dir in
            let jwk = Self.key.verificationKey.jwk
            let spki = DER.rsaSPKI(modulus: try Base64URL.decode(jwk.n!), exponent: try Base64URL.decode(jwk.e!))
            let pub = dir.appendingPathComponent("pub.der"), msg = dir.appendingPathComponent("msg"), sig = dir.appendingPathComponent("sig")
            let message = Array("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJwdWxzZSJ9".utf8)
            try Data(spki).write(to: pub)
            try Data(message).write(to: msg)
            try Data(try Self.key.sign(message)).write(to: sig)
            let out = try run("/usr/bin/openssl", ["dgst", "-sha256", "-verify", pub.path, "-keyform", "DER", "-signature", sig.path, msg.path])
            #expect(String(decoding: out, as: UTF8.self).contains("Verified OK"))
        }
    }
}
