import Foundation
import Testing
@testable import PulseSecurity

@Suite struct KeyRingTests {
    @Test func rotationNewKeySignsOldKeyStillVerifies() throws {
        var ring = SigningKeyRing(maximumTokenLifetime: 900, leeway: 30)
        let first = ring.rotate(now: epoch)
        let oldToken = try JWT.sign(accessClaims(now: epoch.addingTimeInterval(100)), with: ring.activeKey!)
        let second = ring.rotate(now: epoch.addingTimeInterval(200))
        #expect(ring.activeKey?.keyID == second.keyID)
        #expect(first.keyID != second.keyID)
        let newToken = try JWT.sign(accessClaims(now: epoch.addingTimeInterval(300)), with: ring.activeKey!)
        #expect(try JWT.parse(newToken).header.kid == second.keyID)

        let keysAt = { (t: TimeInterval) in Dictionary(uniqueKeysWithValues: ring.verificationKeys(now: epoch.addingTimeInterval(t)).map { ($0.keyID, $0) }) }
        let at300 = keysAt(300)
        _ = try JWT.verify(oldToken, policy: testPolicy(), now: epoch.addingTimeInterval(300), key: { at300[$0] })
        _ = try JWT.verify(newToken, policy: testPolicy(), now: epoch.addingTimeInterval(300), key: { at300[$0] })
        // The old key is published until retiredAt + lifetime + leeway = 200 + 900 + 30.
        #expect(keysAt(1129)[first.keyID] != nil)
        #expect(keysAt(1130)[first.keyID] == nil)
        #expect(ring.jwks(now: epoch.addingTimeInterval(1130)).keys.map(\.kid) == [second.keyID])
        #expect(ring.prune(now: epoch.addingTimeInterval(1130)) == [first.keyID])
        #expect(ring.entries.count == 1)
    }

    @Test func ringRefusesDuplicateKeyIDs() throws {
        var ring = SigningKeyRing(maximumTokenLifetime: 900)
        let key = ring.rotate(now: epoch)
        let twin = try Ed25519SigningKey(privateKey: SecureRandom.bytes(32), keyID: key.keyID)
        expectError(.invalidKey) { try ring.rotate(to: twin, now: epoch) }
        #expect(ring.entries.count == 1 && ring.activeKey?.verificationKey.jwk == key.verificationKey.jwk)
    }

    @Test func publishedJWKSContainsNoPrivateMaterialAndRoundTrips() throws {
        var ring = SigningKeyRing(maximumTokenLifetime: 900)
        let key = ring.rotate(now: epoch)
        let json = ring.jwks(now: epoch).jsonBytes()
        let text = String(decoding: json, as: UTF8.self)
        #expect(!text.contains("\"d\""))
        #expect(text.contains(#""kty":"OKP""#) && text.contains(#""alg":"EdDSA""#) && text.contains(#""use":"sig""#))
        let parsed = try JWKSet(json: json).verificationKeys()
        let token = try JWT.sign(accessClaims(), with: key)
        _ = try JWT.verify(token, policy: testPolicy(), now: epoch, key: { parsed[$0] })
    }

    @Test func privateKeyExportIsEncryptedAndBoundToKid() throws {
        let storage = EncryptedKeyStorage(encryptionKey: AESGCMKey.generate())
        let key = Ed25519SigningKey.generate()
        let stored = try storage.export(key)
        #expect(stored.hasPrefix("v1."))
        #expect(!stored.contains(Base64URL.encode(key.privateKeyBytes())))
        let restored = try storage.import(stored, keyID: key.keyID)
        #expect(restored.publicKey == key.publicKey)
        let token = try JWT.sign(accessClaims(), with: restored)
        _ = try JWT.verify(token, policy: testPolicy(), now: epoch, key: { $0 == key.keyID ? key.verificationKey : nil })
        expectError(.decryptionFailed) { _ = try storage.import(stored, keyID: "another-kid") }
        expectError(.decryptionFailed) { _ = try EncryptedKeyStorage(encryptionKey: AESGCMKey.generate()).import(stored, keyID: key.keyID) }
        expectError(.invalidInput) { _ = try storage.import("v2.garbage", keyID: key.keyID) }
    }

    @Test func jwkParsingRejectsUnusableKeys() throws {
        let x = Base64URL.encode(SecureRandom.bytes(32))
        expectError(.invalidKey) { _ = try VerificationKey(jwk: JWK(kty: "OKP", crv: "Ed25519", x: x)) }  // no kid
        expectError(.invalidKey) { _ = try VerificationKey(jwk: JWK(kty: "OKP", kid: "k", use: "enc", crv: "Ed25519", x: x)) }
        expectError(.invalidKey) { _ = try VerificationKey(jwk: JWK(kty: "OKP", kid: "k", alg: "RS256", crv: "Ed25519", x: x)) }
        expectError(.invalidKey) { _ = try VerificationKey(jwk: JWK(kty: "OKP", kid: "k", crv: "X25519", x: x)) }
        expectError(.invalidKey) { _ = try VerificationKey(jwk: JWK(kty: "OKP", kid: "k", crv: "Ed25519", x: "AAAA")) }
        expectError(.invalidKey) { _ = try VerificationKey(jwk: JWK(kty: "oct", kid: "k")) }
        expectError(.invalidKey) { _ = try VerificationKey(jwk: JWK(kty: "EC", kid: "k", crv: "P-256", x: x, y: x)) }  // not on curve
    }

    @Test func jwksParsingSkipsUnusableKeysAndRejectsGarbage() throws {
        let good = Ed25519SigningKey.generate().verificationKey.jwk
        var set = JWKSet(keys: [good, JWK(kty: "oct", kid: "hmac"), JWK(kty: "OKP", kid: good.kid, crv: "Ed25519", x: good.x)])
        set.keys.append(JWK(kty: "RSA", kid: "rsa-enc", use: "enc", n: "AQAB", e: "AQAB"))
        let keys = try JWKSet(json: set.jsonBytes()).verificationKeys()
        #expect(Array(keys.keys) == [good.kid!])
        expectError(.keySetUnavailable) { _ = try JWKSet(json: Array("not json".utf8)) }
        expectError(.keySetUnavailable) { _ = try JWKSet(json: Array(#"{"keys":7}"#.utf8)) }
        expectError(.keySetUnavailable) { _ = try JWKSet(json: [UInt8](repeating: 0x20, count: JWKSet.maximumBytes + 1)) }
    }

    /// Verify contexts are pooled and reused; a rejected signature must not poison the next
    /// check, and concurrent checks must not share a context.
    @Test func pooledVerificationStaysCorrectUnderAlternationAndConcurrency() async throws {
        let key = Ed25519SigningKey.generate()
        let vk = key.verificationKey
        let message = Array("header.payload".utf8)
        let good = try key.sign(message)
        var bad = good
        bad[7] ^= 0x20
        for i in 0..<200 {
            #expect(vk.isValidSignature(i % 2 == 0 ? good : bad, for: message) == (i % 2 == 0))
        }
        let forged = bad
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<64 {
                group.addTask { vk.isValidSignature(i % 3 == 0 ? forged : good, for: message) == (i % 3 != 0) }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 64 && results.allSatisfy { $0 })
        let signatures = await withTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<32 { group.addTask { (try? key.sign(message)) ?? [] } }
            return await group.reduce(into: [[UInt8]]()) { $0.append($1) }
        }
        #expect(signatures.allSatisfy { $0 == good })  // Ed25519 is deterministic
    }
}
