import Foundation
import Testing
@testable import PulseSecurity

/// Every classic JWT attack, each its own test, against `JWT.verify` with one Ed25519 key.
@Suite struct JWTAttackTests {
    let key = Ed25519SigningKey.generate()
    var lookup: (String) -> VerificationKey? {
        let vk = key.verificationKey
        return { $0 == vk.keyID ? vk : nil }
    }

    func verify(_ token: String, at now: Date = epoch, policy: ClaimsPolicy = testPolicy()) throws -> JWTClaims {
        try JWT.verify(token, policy: policy, now: now, key: lookup)
    }

    @Test func validTokenVerifies() throws {
        let claims = accessClaims()
        let token = try JWT.sign(claims, with: key)
        #expect(try verify(token) == claims)
    }

    @Test func algNoneIsRejected() {
        let header = #"{"alg":"none","kid":"\#(key.keyID)","typ":"at+jwt"}"#
        let token = Base64URL.encode(header) + "." + Base64URL.encode(payloadJSON(accessClaims())) + "."
        expectError(.malformedToken) { _ = try verify(token) }  // empty signature part
        let withSig = compact(header: header, payload: payloadJSON(accessClaims()), signature: [0])
        expectError(.unsupportedAlgorithm) { _ = try verify(withSig) }
        let upper = compact(header: #"{"alg":"NONE","kid":"\#(key.keyID)","typ":"at+jwt"}"#, payload: payloadJSON(accessClaims()), signature: [0])
        expectError(.unsupportedAlgorithm) { _ = try verify(upper) }
    }

    /// The classic confusion: HS256 with the verifier's public key bytes as the HMAC secret.
    @Test func hs256SignedWithPublicKeyIsRejected() {
        let header = #"{"alg":"HS256","kid":"\#(key.keyID)","typ":"at+jwt"}"#
        let input = Base64URL.encode(header) + "." + Base64URL.encode(payloadJSON(accessClaims()))
        for secret in [key.publicKey, Array(key.verificationKey.jwk.x!.utf8), Array(payloadJSON(accessClaims()).utf8)] {
            let mac = HMACSHA256.authenticationCode(for: Array(input.utf8), key: secret)
            expectError(.unsupportedAlgorithm) { _ = try verify(input + "." + Base64URL.encode(mac)) }
        }
        // Even if HS256 were allowed by policy, the key pins EdDSA.
        var lax = testPolicy()
        lax.allowedAlgorithms = Set(JWSAlgorithm.allCases)
        let rsHeader = #"{"alg":"RS256","kid":"\#(key.keyID)","typ":"at+jwt"}"#
        let forged = compact(header: rsHeader, payload: payloadJSON(accessClaims()), signature: [UInt8](repeating: 1, count: 256))
        expectError(.algorithmMismatch) { _ = try verify(forged, policy: lax) }
    }

    @Test func expiredTokenIsRejectedAfterLeeway() throws {
        let token = try JWT.sign(accessClaims(lifetime: 60), with: key)
        _ = try verify(token, at: epoch.addingTimeInterval(60 + 29))  // within 30 s leeway
        expectError(.expired) { _ = try verify(token, at: epoch.addingTimeInterval(60 + 30)) }
        expectError(.expired) { _ = try verify(token, at: epoch.addingTimeInterval(86_400)) }
    }

    @Test func notYetValidTokenIsRejected() throws {
        let token = try JWT.sign(accessClaims(now: epoch.addingTimeInterval(120)), with: key)
        expectError(.notYetValid) { _ = try verify(token) }
        _ = try verify(token, at: epoch.addingTimeInterval(95))  // nbf 120 within 30 s leeway
    }

    @Test func tokenIssuedInTheFutureIsRejected() throws {
        var claims = accessClaims()
        claims.notBefore = nil
        claims.issuedAt = Int64(epoch.timeIntervalSince1970 + 3600)
        expectError(.notYetValid) { _ = try verify(try JWT.sign(claims, with: key)) }
    }

    @Test func wrongIssuerIsRejected() throws {
        var claims = accessClaims()
        claims.issuer = "https://evil.example"
        expectError(.wrongIssuer) { _ = try verify(try JWT.sign(claims, with: key)) }
    }

    @Test func wrongAudienceIsRejected() throws {
        var claims = accessClaims()
        claims.audience = ["another-service"]
        expectError(.wrongAudience) { _ = try verify(try JWT.sign(claims, with: key)) }
        claims.audience = ["another-service", testAudience]
        _ = try verify(try JWT.sign(claims, with: key))
    }

    @Test func tamperedPayloadIsRejected() throws {
        let token = try JWT.sign(accessClaims(), with: key)
        let parts = token.split(separator: ".").map(String.init)
        var claims = accessClaims()
        claims.roles = ["admin"]
        claims.permissions = ["admin:*"]
        let forged = parts[0] + "." + Base64URL.encode(payloadJSON(claims)) + "." + parts[2]
        expectError(.badSignature) { _ = try verify(forged) }
    }

    @Test(arguments: [0, 31, 63])
    func tamperedSignatureIsRejected(byte: Int) throws {
        let token = try JWT.sign(accessClaims(), with: key)
        let parts = token.split(separator: ".").map(String.init)
        var signature = try Base64URL.decode(parts[2])
        signature[byte] ^= 0x01
        expectError(.badSignature) { _ = try verify(parts[0] + "." + parts[1] + "." + Base64URL.encode(signature)) }
        expectError(.badSignature) { _ = try verify(parts[0] + "." + parts[1] + "." + Base64URL.encode(signature.dropLast())) }
    }

    @Test func signatureByAnotherKeyWithSameKidIsRejected() throws {
        let impostor = try Ed25519SigningKey(privateKey: SecureRandom.bytes(32), keyID: key.keyID)
        expectError(.badSignature) { _ = try verify(try JWT.sign(accessClaims(), with: impostor)) }
    }

    @Test func unknownKidIsADistinctError() throws {
        let other = Ed25519SigningKey.generate()
        expectError(.unknownKeyID) { _ = try verify(try JWT.sign(accessClaims(), with: other)) }
        let noKid = compact(header: #"{"alg":"EdDSA","typ":"at+jwt"}"#, payload: payloadJSON(accessClaims()), signature: [UInt8](repeating: 0, count: 64))
        expectError(.unknownKeyID) { _ = try verify(noKid) }
    }

    @Test func truncatedTokensAreRejected() throws {
        let token = try JWT.sign(accessClaims(), with: key)
        let parts = token.split(separator: ".").map(String.init)
        expectError(.malformedToken) { _ = try verify(parts[0] + "." + parts[1]) }
        expectError(.malformedToken) { _ = try verify(parts[0] + "." + parts[1] + ".") }
        expectError(.malformedToken) { _ = try verify(parts[0]) }
        // Cutting the signature short keeps valid base64url only at some lengths.
        for cut in [1, 2, 5] {
            let code: SecurityError.Code = (parts[2].count - cut) % 4 == 1 ? .malformedToken : .badSignature
            expectError(code) { _ = try verify(String(token.dropLast(cut))) }
        }
    }

    @Test(arguments: [
        "", ".", "..", "...", "a.b.c.d", "abc", "eyJ.eyJ.", ".eyJhbGciOiJFZERTQSJ9.AAAA",
        "e30.e30.AAAA",  // {} header: no alg
        "W10.e30.AAAA",  // [] header
        "bnVsbA.e30.AAAA",  // null header
        "eyJhbGciOjF9.e30.AAAA",  // alg is a number
        "eyJhbGciOiJFZERTQSJ9!.e30.AAAA",
        "eyJhbGciOiJFZERTQSJ9=.e30.AAAA",
    ])
    func malformedTokensAreRejected(token: String) {
        do {
            _ = try verify(token)
            Issue.record("accepted a malformed token")
        } catch let error as SecurityError {
            #expect([.malformedToken, .unknownKeyID, .unsupportedAlgorithm].contains(error.code))
            #expect(error.isAuthenticationFailure)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func malformedPayloadAfterValidSignatureIsRejected() throws {
        let header = Base64URL.encode(#"{"alg":"EdDSA","kid":"\#(key.keyID)","typ":"at+jwt"}"#)
        for payload in [#"[1,2]"#, #"{"exp":"soon"}"#, #"{"aud":7}"#, #"{"roles":"admin"}"#, "not json", "!"] {
            // "!" stands for a payload part that is not base64url at all (signed as is).
            let input = header + "." + (payload == "!" ? "e30=" : Base64URL.encode(payload))
            let token = input + "." + Base64URL.encode(try key.sign(Array(input.utf8)))
            expectError(.malformedToken) { _ = try verify(token) }
        }
    }

    @Test func oversizedTokenIsRejectedBeforeParsing() throws {
        var claims = accessClaims()
        claims.permissions = (0..<2000).map { "perm:\($0)" }
        let token = try JWT.sign(claims, with: key)
        #expect(token.utf8.count > JWT.defaultMaximumBytes)
        expectError(.tokenTooLarge) { _ = try verify(token) }
        expectError(.tokenTooLarge) { _ = try verify(String(repeating: "A", count: 1_000_000)) }
    }

    @Test func wrongTypeAndCriticalHeadersAreRejected() throws {
        let idTokenLike = try JWT.sign(accessClaims(), with: key, type: "JWT")
        expectError(.malformedToken) { _ = try verify(idTokenLike) }
        let header = #"{"alg":"EdDSA","kid":"\#(key.keyID)","typ":"at+jwt","crit":["exp"]}"#
        let input = Base64URL.encode(header) + "." + Base64URL.encode(payloadJSON(accessClaims()))
        expectError(.malformedToken) { _ = try verify(input + "." + Base64URL.encode(try key.sign(Array(input.utf8)))) }
    }

    @Test func missingRequiredClaimsAreRejected() throws {
        var claims = accessClaims()
        claims.expiresAt = nil
        expectError(.missingClaim) { _ = try verify(try JWT.sign(claims, with: key)) }
        claims = accessClaims()
        claims.clientID = nil
        expectError(.missingClaim) { _ = try verify(try JWT.sign(claims, with: key)) }
    }

    @Test func errorDescriptionsNeverEchoTokenContent() throws {
        var claims = accessClaims()
        claims.issuer = "https://evil.example/SECRET-MARKER"
        do {
            _ = try verify(try JWT.sign(claims, with: key))
        } catch let error as SecurityError {
            #expect(!error.description.contains("SECRET-MARKER"))
            #expect(!error.description.contains("evil"))
        }
    }

    @Test func leewayIsBounded() {
        expectError(.invalidInput) { _ = try ClaimsPolicy(issuer: testIssuer, audience: testAudience, leeway: 3600) }
        expectError(.invalidInput) { _ = try ClaimsPolicy(issuer: testIssuer, audience: testAudience, leeway: -1) }
    }
}
