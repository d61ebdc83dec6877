import Foundation
import Testing
@testable import PulseSecurity

/// id_token validation against a provider whose keys we hold (Ed25519 here; RS256/ES256 in
/// InteropTests with tokens from Python).
@Suite struct OIDCTests {
    let providerKey = Ed25519SigningKey.generate()
    let issuer = "https://idp.example.test"
    let clientID = "pulse-web"
    let nonce = OAuthRandom.nonce()

    func idToken(_ edit: (inout JWTClaims) -> Void = { _ in }, key: Ed25519SigningKey? = nil) throws -> String {
        var claims = JWTClaims(issuer: issuer, subject: "idp-user-1", audience: [clientID],
            expiresAt: Int64(epoch.timeIntervalSince1970 + 300), issuedAt: Int64(epoch.timeIntervalSince1970), nonce: nonce)
        claims.email = "ana@example.test"
        edit(&claims)
        return try JWT.sign(claims, with: key ?? providerKey, type: "JWT")
    }

    func validator() throws -> OIDCIDTokenValidator {
        try OIDCIDTokenValidator(issuer: issuer, clientID: clientID, keySource: InMemoryJWKSSource(JWKSet(keys: [providerKey.verificationKey.jwk])),
            clock: ManualWallClock(epoch.addingTimeInterval(5)))
    }

    @Test func validIdTokenGivesUser() async throws {
        let user = try await validator().validate(try idToken(), expectedNonce: nonce)
        #expect(user.subject == "idp-user-1")
        #expect(user.email == "ana@example.test")
        #expect(user.issuer == issuer)
    }

    @Test func badNonceIsRejected() async throws {
        let v = try validator()
        await expectError(.nonceMismatch) { _ = try await v.validate(try idToken(), expectedNonce: OAuthRandom.nonce()) }
        await expectError(.nonceMismatch) { _ = try await v.validate(try idToken { $0.nonce = nil }, expectedNonce: nonce) }
        await expectError(.nonceMismatch) { _ = try await v.validate(try idToken(), expectedNonce: "") }
    }

    @Test func wrongIssuerIsRejected() async throws {
        let v = try validator()
        await expectError(.wrongIssuer) { _ = try await v.validate(try idToken { $0.issuer = "https://idp.example.test/" }, expectedNonce: nonce) }
    }

    @Test func wrongAudienceOrAuthorizedPartyIsRejected() async throws {
        let v = try validator()
        await expectError(.wrongAudience) { _ = try await v.validate(try idToken { $0.audience = ["other-app"] }, expectedNonce: nonce) }
        await expectError(.wrongAudience) { _ = try await v.validate(try idToken { $0.audience = [clientID, "other-app"] }, expectedNonce: nonce) }
        _ = try await v.validate(try idToken { $0.audience = [clientID, "other-app"]; $0.authorizedParty = clientID }, expectedNonce: nonce)
    }

    @Test func badSignatureIsRejected() async throws {
        let v = try validator()
        let forger = try Ed25519SigningKey(privateKey: SecureRandom.bytes(32), keyID: providerKey.keyID)
        await expectError(.badSignature) { _ = try await v.validate(try idToken(key: forger), expectedNonce: nonce) }
    }

    @Test func expiredOrStaleIdTokenIsRejected() async throws {
        let v = try validator()
        await expectError(.expired) {
            _ = try await v.validate(try idToken { $0.expiresAt = Int64(epoch.timeIntervalSince1970 - 120) }, expectedNonce: nonce)
        }
        await expectError(.expired) {
            _ = try await v.validate(try idToken { $0.issuedAt = Int64(epoch.timeIntervalSince1970 - 3600) }, expectedNonce: nonce)
        }
    }

    @Test func discoveryDocumentIsCheckedAndBuildsAuthorizationURL() throws {
        let doc = #"{"issuer":"https://idp.example.test","authorization_endpoint":"https://idp.example.test/authorize","token_endpoint":"https://idp.example.test/token","jwks_uri":"https://idp.example.test/keys","code_challenge_methods_supported":["S256"]}"#
        let meta = try OIDCProviderMetadata(json: Array(doc.utf8), expectedIssuer: issuer)
        let verifier = PKCE.generateVerifier()
        let url = try meta.authorizationURL(clientID: clientID, redirectURI: "https://pulse.test/auth/oidc/callback?x=1",
            state: "st+1", nonce: nonce, codeChallenge: try PKCE.challenge(for: verifier))
        let items = URLComponents(string: url)!.queryItems!
        func value(_ name: String) -> String? { items.first { $0.name == name }?.value }
        #expect(value("response_type") == "code")
        #expect(value("code_challenge_method") == "S256")
        #expect(value("redirect_uri") == "https://pulse.test/auth/oidc/callback?x=1")
        #expect(url.contains("state=st%2B1"))
        #expect(value("nonce") == nonce)
        expectError(.wrongIssuer) { _ = try OIDCProviderMetadata(json: Array(doc.utf8), expectedIssuer: "https://other.test") }
        let plainHTTP = doc.replacingOccurrences(of: "https://idp.example.test/token", with: "http://idp.example.test/token")
        expectError(.invalidInput) { _ = try OIDCProviderMetadata(json: Array(plainHTTP.utf8), expectedIssuer: issuer) }
        let loopback = doc.replacingOccurrences(of: "https://idp.example.test/token", with: "http://127.0.0.1:9999/token")
        _ = try OIDCProviderMetadata(json: Array(loopback.utf8), expectedIssuer: issuer)
        let noPKCE = doc.replacingOccurrences(of: #"["S256"]"#, with: #"["plain"]"#)
        expectError(.invalidInput) { _ = try OIDCProviderMetadata(json: Array(noPKCE.utf8), expectedIssuer: issuer) }
    }
}
