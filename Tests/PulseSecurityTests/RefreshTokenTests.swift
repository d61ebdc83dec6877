import Foundation
import Testing
@testable import PulseSecurity

@Suite struct RefreshTokenTests {
    let policy = RefreshTokenPolicy(tokenLifetime: 3600, familyLifetime: 86_400)

    @Test func tokensAreRandomAndStoredOnlyAsHash() throws {
        let (secret, record) = policy.issueFirst(clientID: "c1", subject: "u1", sessionID: "s1", now: epoch)
        #expect(try Base64URL.decode(secret.token).count == 32)
        #expect(record.hash == RefreshTokenSecret.hash(of: secret.token))
        #expect(record.hash != secret.token && !record.hash.contains(secret.token))
        #expect(record.hash.count == 64)
    }

    @Test func validTokenRotatesWithinTheFamily() throws {
        let (secret, record) = policy.issueFirst(clientID: "c1", subject: "u1", sessionID: "s1", now: epoch)
        let decision = policy.evaluate(presented: secret.token, stored: record, familyRevoked: false, clientID: "c1", now: epoch.addingTimeInterval(60))
        guard case let .rotate(spent, successor, next) = decision else {
            Issue.record("expected rotation, got \(decision)")
            return
        }
        #expect(spent == record.hash)
        #expect(successor.familyID == record.familyID)
        #expect(successor.hash == next.hash && next.token != secret.token)
        #expect(successor.expiresAt == epoch.addingTimeInterval(3660))
    }

    /// The core defence: a spent token presented again revokes the whole family.
    @Test func reuseOfSpentTokenRevokesTheFamily() {
        let (secret, record) = policy.issueFirst(clientID: "c1", subject: "u1", sessionID: "s1", now: epoch)
        guard case let .rotate(_, successor, nextSecret) =
            policy.evaluate(presented: secret.token, stored: record, familyRevoked: false, clientID: "c1", now: epoch)
        else { Issue.record("expected rotation"); return }
        var spent = record
        spent.status = .rotated(at: epoch)
        let reuse = policy.evaluate(presented: secret.token, stored: spent, familyRevoked: false, clientID: "c1", now: epoch.addingTimeInterval(5))
        #expect(reuse == .revokeFamily(familyID: record.familyID, sessionID: "s1"))
        // After the caller revokes the family, the legitimate successor is dead too.
        let after = policy.evaluate(presented: nextSecret.token, stored: successor, familyRevoked: true, clientID: "c1", now: epoch.addingTimeInterval(6))
        #expect(after == .deny(.familyRevoked))
        let again = policy.evaluate(presented: secret.token, stored: spent, familyRevoked: true, clientID: "c1", now: epoch.addingTimeInterval(7))
        #expect(again == .deny(.familyRevoked))
    }

    @Test func unknownExpiredRevokedAndForeignTokensAreDenied() {
        let (secret, record) = policy.issueFirst(clientID: "c1", subject: "u1", sessionID: nil, now: epoch)
        #expect(policy.evaluate(presented: secret.token, stored: nil, familyRevoked: false, clientID: "c1", now: epoch) == .deny(.unknownToken))
        #expect(policy.evaluate(presented: "forged", stored: record, familyRevoked: false, clientID: "c1", now: epoch) == .deny(.unknownToken))
        #expect(policy.evaluate(presented: secret.token, stored: record, familyRevoked: false, clientID: "c1", now: epoch.addingTimeInterval(3600)) == .deny(.expired))
        #expect(policy.evaluate(presented: secret.token, stored: record, familyRevoked: false, clientID: "c2", now: epoch) == .deny(.wrongClient))
        var revoked = record
        revoked.status = .revoked
        #expect(policy.evaluate(presented: secret.token, stored: revoked, familyRevoked: false, clientID: "c1", now: epoch) == .deny(.revoked))
    }

    @Test func familyLifetimeCapsRotation() {
        var (secret, record) = policy.issueFirst(clientID: "c1", subject: "u1", sessionID: nil, now: epoch)
        var now = epoch
        // Rotate every 50 minutes: each token is fresh, but the family ends after 24 h.
        while true {
            now = now.addingTimeInterval(3000)
            let decision = policy.evaluate(presented: secret.token, stored: record, familyRevoked: false, clientID: "c1", now: now)
            if case let .rotate(_, successor, next) = decision {
                #expect(successor.expiresAt <= epoch.addingTimeInterval(86_400))
                (secret, record) = (next, successor)
            } else {
                #expect(decision == .deny(.familyExpired) || decision == .deny(.expired))
                #expect(now >= epoch.addingTimeInterval(86_400))
                break
            }
        }
    }
}

@Suite struct PKCETests {
    /// RFC 7636 Appendix B.
    @Test func rfc7636AppendixB() throws {
        #expect(try PKCE.challenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        #expect(PKCE.verify(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"))
    }

    @Test func generatedVerifierRoundTripsAndWrongVerifierFails() throws {
        let verifier = PKCE.generateVerifier()
        #expect(PKCE.isValidVerifier(verifier))
        let challenge = try PKCE.challenge(for: verifier)
        #expect(PKCE.verify(verifier: verifier, challenge: challenge))
        #expect(!PKCE.verify(verifier: PKCE.generateVerifier(), challenge: challenge))
    }

    @Test func plainMethodAndMalformedVerifiersAreRefused() {
        let verifier = PKCE.generateVerifier()
        #expect(!PKCE.verify(verifier: verifier, challenge: verifier, method: "plain"))
        #expect(!PKCE.isValidVerifier("short"))
        #expect(!PKCE.isValidVerifier(String(repeating: "a", count: 129)))
        #expect(!PKCE.isValidVerifier(String(repeating: "a", count: 42) + " "))
        expectError(.invalidInput) { _ = try PKCE.challenge(for: "short") }
    }

    @Test func stateAndNonceAreUniqueAndCheckedExactly() {
        let state = OAuthRandom.state()
        #expect(state != OAuthRandom.state() && OAuthRandom.nonce() != OAuthRandom.nonce())
        #expect(OAuthRandom.matches(state, expected: state))
        #expect(!OAuthRandom.matches(nil, expected: state))
        #expect(!OAuthRandom.matches(state + "x", expected: state))
        #expect(!OAuthRandom.matches("", expected: ""))
    }
}

@Suite struct CSRFTokenTests {
    let tokens = try! CSRFTokens(key: SecureRandom.bytes(32))

    @Test func tokenIsBoundToSessionAndKey() throws {
        let token = tokens.issue(sessionID: "sess-1")
        #expect(tokens.isValid(token, sessionID: "sess-1"))
        #expect(!tokens.isValid(token, sessionID: "sess-2"))
        #expect(!(try CSRFTokens(key: SecureRandom.bytes(32))).isValid(token, sessionID: "sess-1"))
        #expect(tokens.issue(sessionID: "sess-1") != token)
    }

    @Test(arguments: [nil, "", ".", "abc", "a.b.c", "x." + String(repeating: "A", count: 200)] as [String?])
    func malformedTokensAreInvalid(token: String?) {
        #expect(!tokens.isValid(token, sessionID: "sess-1"))
    }

    @Test func forgedNonceOrTagIsInvalid() {
        let token = tokens.issue(sessionID: "sess-1")
        let parts = token.split(separator: ".").map(String.init)
        #expect(!tokens.isValid(SecureRandom.token(byteCount: 16) + "." + parts[1], sessionID: "sess-1"))
        #expect(!tokens.isValid(parts[0] + "." + Base64URL.encode(SecureRandom.bytes(32)), sessionID: "sess-1"))
        expectError(.invalidKey) { _ = try CSRFTokens(key: [1, 2, 3]) }
    }
}
