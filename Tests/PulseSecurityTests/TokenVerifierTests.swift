import Foundation
import Testing
@testable import PulseSecurity

/// A JWKS source that fails on demand, for the outage test. Counts calls.
final class FlakyJWKSSource: JWKSFetching {
    let inner: InMemoryJWKSSource
    let failing: ManualFlag
    init(_ inner: InMemoryJWKSSource, failing: ManualFlag) {
        self.inner = inner
        self.failing = failing
    }
    func fetchJWKS() async throws -> JWKSet {
        if failing.value { throw SecurityError(.keySetUnavailable, "issuer down") }
        return try await inner.fetchJWKS()
    }
}

final class ManualFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    var value: Bool {
        get { lock.withLock { flag } }
        set { lock.withLock { flag = newValue } }
    }
}

@Suite struct TokenVerifierTests {
    let clock = ManualWallClock(epoch)
    var ring = SigningKeyRing(maximumTokenLifetime: 900)
    let source = InMemoryJWKSSource()

    init() {
        ring.rotate(now: epoch)
        source.publish(ring.jwks(now: epoch))
    }

    func makeVerifier(refetchInterval: TimeInterval = 10, cache: Int = 100) -> TokenVerifier {
        TokenVerifier(configuration: TokenVerifierConfiguration(policy: testPolicy(),
            keySet: .init(minimumRefetchInterval: refetchInterval), verifiedTokenCacheSize: cache), keySource: source, clock: clock)
    }

    @Test func validTokenGivesIdentity() async throws {
        let verifier = makeVerifier()
        let identity = try await verifier.verify(try JWT.sign(accessClaims(), with: ring.activeKey!))
        #expect(identity.kind == .user)
        #expect(identity.subject == "user-42")
        #expect(identity.clientID == "client-a")
        #expect(identity.roles == ["analyst"])
        #expect(identity.sessionID == "sess-1")
        #expect(source.fetchCount == 1)
    }

    @Test func unknownKidRefetchesThenSucceedsAfterRotation() async throws {
        let verifier = makeVerifier()
        _ = try await verifier.verify(try JWT.sign(accessClaims(), with: ring.activeKey!))
        var rotated = ring
        rotated.rotate(now: epoch.addingTimeInterval(60))
        clock.advance(by: 60)
        let token = try JWT.sign(accessClaims(now: clock.now()), with: rotated.activeKey!)
        // Cached keys alone do not know the new kid…
        expectError(.unknownKeyID) { _ = try verifier.verifyWithCachedKeys(token) }
        // …the issuer publishes, the verifier refetches once and accepts.
        source.publish(rotated.jwks(now: clock.now()))
        let identity = try await verifier.verify(token)
        #expect(identity.subject == "user-42")
        #expect(source.fetchCount == 2)
        _ = try await verifier.verify(token)
        #expect(source.fetchCount == 2)
    }

    @Test func unknownKidFloodIsRateLimited() async throws {
        let verifier = makeVerifier(refetchInterval: 10)
        _ = try await verifier.verify(try JWT.sign(accessClaims(), with: ring.activeKey!))
        clock.advance(by: 11)
        for _ in 0..<50 {
            let stranger = Ed25519SigningKey.generate()
            await expectError(.unknownKeyID) { _ = try await verifier.verify(try JWT.sign(accessClaims(now: clock.now()), with: stranger)) }
        }
        #expect(source.fetchCount == 2)  // the first fetch + one refetch for 50 unknown kids
        #expect(verifier.keys.refusedRefetchCount == 49)
        clock.advance(by: 10)
        await expectError(.unknownKeyID) {
            _ = try await verifier.verify(try JWT.sign(accessClaims(now: clock.now()), with: Ed25519SigningKey.generate()))
        }
        #expect(source.fetchCount == 3)
    }

    @Test func concurrentUnknownKidsShareOneFetch() async throws {
        let verifier = makeVerifier()
        let token = try JWT.sign(accessClaims(), with: ring.activeKey!)
        try await withThrowingTaskGroup(of: Identity.self) { group in
            for _ in 0..<20 { group.addTask { try await verifier.verify(token) } }
            for try await identity in group { #expect(identity.subject == "user-42") }
        }
        #expect(source.fetchCount == 1)
    }

    @Test func pushedSessionRevocationIsRejectedImmediately() async throws {
        let verifier = makeVerifier()
        let token = try JWT.sign(accessClaims(sid: "sess-9"), with: ring.activeKey!)
        let other = try JWT.sign(accessClaims(sid: "sess-10"), with: ring.activeKey!)
        _ = try await verifier.verify(token)  // now in the verified cache too
        try verifier.apply(payload: RevocationEvent.session(id: "sess-9", until: epoch.addingTimeInterval(930)).payload)
        await expectError(.revoked) { _ = try await verifier.verify(token) }
        _ = try await verifier.verify(other)
        #expect(verifier.revocationCount == 1)
    }

    @Test func startupSnapshotOfRevocationsApplies() async throws {
        let verifier = makeVerifier()
        verifier.apply(contentsOf: [RevocationEvent.session(id: "sess-1", until: epoch.addingTimeInterval(900)),
            .session(id: "sess-2", until: epoch.addingTimeInterval(900))])
        await expectError(.revoked) { _ = try await verifier.verify(try JWT.sign(accessClaims(sid: "sess-2"), with: ring.activeKey!)) }
        _ = try await verifier.verify(try JWT.sign(accessClaims(sid: "sess-3"), with: ring.activeKey!))
    }

    @Test func revocationsExpireSoTheSetStaysBounded() async throws {
        let verifier = makeVerifier()
        for i in 0..<100 { verifier.apply(.session(id: "s\(i)", until: epoch.addingTimeInterval(900))) }
        #expect(verifier.revocationCount == 100)
        clock.advance(by: 899)
        verifier.prune()
        #expect(verifier.revocationCount == 100)
        clock.advance(by: 1)
        verifier.prune()
        #expect(verifier.revocationCount == 0)
    }

    @Test func subjectRevocationRejectsOlderTokensOnly() async throws {
        let verifier = makeVerifier()
        let old = try JWT.sign(accessClaims(sid: "a"), with: ring.activeKey!)
        verifier.apply(.subject(clientID: "client-a", subject: "user-42", issuedBefore: epoch.addingTimeInterval(10), until: epoch.addingTimeInterval(910)))
        await expectError(.revoked) { _ = try await verifier.verify(old) }
        clock.advance(by: 20)
        let fresh = try JWT.sign(accessClaims(now: clock.now(), sid: "b"), with: ring.activeKey!)
        _ = try await verifier.verify(fresh)
    }

    @Test func verifiedCacheStillChecksExpiryAndKeyRemoval() async throws {
        let verifier = makeVerifier(refetchInterval: 0)
        let token = try JWT.sign(accessClaims(lifetime: 60), with: ring.activeKey!)
        _ = try await verifier.verify(token)
        clock.advance(by: 100)
        expectError(.expired) { _ = try verifier.verifyWithCachedKeys(token) }
        clock.set(epoch)
        source.publish(JWKSet(keys: []))  // key withdrawn (compromise)
        try await verifier.keys.refresh()
        await expectError(.unknownKeyID) { _ = try await verifier.verify(token) }
    }

    /// A cached verification is void once the published key for its kid changes.
    @Test func verifiedCacheIsVoidWhenKeyMaterialChangesUnderSameKid() async throws {
        let verifier = makeVerifier(refetchInterval: 0)
        let original = ring.activeKey!
        let token = try JWT.sign(accessClaims(), with: original)
        _ = try await verifier.verify(token)
        let replacement = try Ed25519SigningKey(privateKey: SecureRandom.bytes(32), keyID: original.keyID)
        source.publish(JWKSet(keys: [replacement.verificationKey.jwk]))
        try await verifier.keys.refresh()
        expectError(.badSignature) { _ = try verifier.verifyWithCachedKeys(token) }
    }

    @Test func fetchFailureKeepsPreviousKeys() async throws {
        let flag = ManualFlag()
        let verifier = TokenVerifier(configuration: TokenVerifierConfiguration(policy: testPolicy(), keySet: .init(minimumRefetchInterval: 0)),
            keySource: FlakyJWKSSource(source, failing: flag), clock: clock)
        let token = try JWT.sign(accessClaims(), with: ring.activeKey!)
        _ = try await verifier.verify(token)
        flag.value = true
        await expectError(.keySetUnavailable) { try await verifier.keys.refresh() }
        _ = try verifier.verifyWithCachedKeys(token)
        await expectError(.keySetUnavailable) { _ = try await verifier.verify(try JWT.sign(accessClaims(), with: Ed25519SigningKey.generate())) }
    }

    @Test func serviceAccountIdentityAndPermissionChecks() async throws {
        var claims = accessClaims(sid: nil)
        claims.principal = "service_account"
        claims.subject = "sa-7"
        claims.roles = ["integrator"]
        claims.permissions = ["etl:jobs:write", "dora:*"]
        let identity = try await makeVerifier().verify(try JWT.sign(claims, with: ring.activeKey!))
        #expect(identity.kind == .serviceAccount)
        #expect(identity.sessionID == nil)
        try identity.require("etl:jobs:write")
        try identity.require("dora:read")
        try identity.require("dora:metrics:read")
        expectError(.permissionDenied) { try identity.require("etl:jobs:delete") }
        expectError(.permissionDenied) { try identity.require("admin") }
        expectError(.permissionDenied) { try identity.require(allOf: ["dora:read", "users:write"]) }
    }

    @Test func oversizedTokenIsRejectedBeforeAnyWork() async throws {
        let verifier = makeVerifier()
        await expectError(.tokenTooLarge) { _ = try await verifier.verify(String(repeating: "a.", count: 500_000)) }
        #expect(source.fetchCount == 0)
    }

    @Test func unknownPrincipalTypeIsRejected() async throws {
        var claims = accessClaims()
        claims.principal = "root"
        await expectError(.malformedToken) { _ = try await makeVerifier().verify(try JWT.sign(claims, with: ring.activeKey!)) }
    }

    @Test(arguments: [
        ("Bearer abc.def.ghi", "abc.def.ghi"), ("bearer abc", "abc"), ("Basic dXNlcjpwdw==", nil), ("Bearer", nil), ("Bearer a b", nil),
    ] as [(String, String?)])
    func bearerExtraction(header: String, token: String?) {
        #expect(BearerToken.extract(fromAuthorization: header) == token)
    }

    @Test(arguments: ["", "{}", #"{"until":5}"#, #"{"sid":"x"}"#, #"{"sid":"x","sub":"y","until":5}"#, "[1]"])
    func malformedRevocationPayloadsAreRejected(payload: String) {
        expectError(.invalidInput) { _ = try RevocationEvent(payload: payload) }
    }

    @Test func revocationPayloadRoundTrips() throws {
        let events: [RevocationEvent] = [
            .session(id: "s-\"quoted\"", until: epoch),
            .subject(clientID: "c", subject: "u", issuedBefore: epoch, until: epoch.addingTimeInterval(900)),
        ]
        for event in events { #expect(try RevocationEvent(payload: event.payload) == event) }
    }
}

@Suite struct AccessTokenIssuerTests {
    @Test func issuedTokensVerifyEndToEnd() async throws {
        var ring = SigningKeyRing(maximumTokenLifetime: 900)
        ring.rotate(now: epoch)
        let issuer = try AccessTokenIssuer(issuer: testIssuer, audience: [testAudience])
        let (token, claims) = try issuer.issue(subject: "u-1", clientID: "c-1", roles: ["viewer", "admin"], permissions: ["b", "a"],
            sessionID: "s-1", ring: ring, now: epoch)
        #expect(claims.expiresAt == Int64(epoch.timeIntervalSince1970) + 900)
        #expect(claims.roles == ["admin", "viewer"])
        #expect((claims.tokenID ?? "").count == 22)
        let verifier = TokenVerifier(configuration: TokenVerifierConfiguration(policy: testPolicy()),
            keySource: InMemoryJWKSSource(ring.jwks(now: epoch)), clock: ManualWallClock(epoch.addingTimeInterval(1)))
        let identity = try await verifier.verify(token)
        #expect(identity.subject == "u-1" && identity.clientID == "c-1" && identity.sessionID == "s-1" && identity.kind == .user)
        let (saToken, _) = try issuer.issue(subject: "sa-1", clientID: "c-1", roles: [], permissions: ["etl:run"], sessionID: nil,
            kind: .serviceAccount, ring: ring, now: epoch)
        #expect(try await verifier.verify(saToken).kind == .serviceAccount)
    }

    @Test func refusesBadConfigurationAndInput() throws {
        expectError(.invalidInput) { _ = try AccessTokenIssuer(issuer: testIssuer, audience: [testAudience], lifetime: 86_400) }
        expectError(.invalidInput) { _ = try AccessTokenIssuer(issuer: "", audience: [testAudience]) }
        let issuer = try AccessTokenIssuer(issuer: testIssuer, audience: [testAudience])
        expectError(.invalidKey) {
            _ = try issuer.issue(subject: "u", clientID: "c", roles: [], permissions: [], sessionID: nil,
                ring: SigningKeyRing(maximumTokenLifetime: 900), now: epoch)
        }
        expectError(.invalidInput) {
            _ = try issuer.issue(subject: "sa", clientID: "c", roles: [], permissions: [], sessionID: "s", kind: .serviceAccount,
                key: SigningKey(Ed25519SigningKey.generate()), now: epoch)
        }
    }
}
