import Foundation
import PulseAuth
import PulseSecurity
import PulseTestSupport
import Testing

/// Several auth processes on one database (each `AuthService` here is what one `pulse-auth`
/// process runs): throttling and the signing-key ring are shared through PostgreSQL.
@Suite("Auth service: several processes share throttling and signing keys", .serialized)
struct MultiProcessTests {
    @Test func throttleCountersAreSharedBetweenProcesses() async throws {
        let h = try await AuthHarness()
        var configuration = try AuthHarness.configuration()
        configuration.sharedThrottle = true
        let a = try await AuthService.start(configuration: configuration, database: h.database, clock: h.clock)
        let b = try await AuthService.start(configuration: configuration, database: h.database, clock: h.clock)
        let client = try await h.createClient()
        try await h.createUser(clientID: client.id, email: "shared@example.com", password: "right password")
        // A unique source address: the counters table is shared by every test on this cluster.
        let origin = RequestOrigin(address: "test-\(UUID().uuidString)")
        func attempt(_ service: AuthService, _ password: String) async -> String {
            do {
                _ = try await service.signIn(clientSlug: client.slug, email: "shared@example.com", password: password, origin: origin,
                                             withCookie: false)
                return "ok"
            } catch let error as OAuthError { return error.code } catch { return "unexpected: \(error)" }
        }
        // Ten failures alternating between the two processes (spaced past every delay) lock
        // the account in both: neither process alone saw more than five.
        for i in 0..<10 {
            #expect(await attempt(i % 2 == 0 ? a : b, "wrong \(i)") == "invalid_grant")
            h.clock.advance(by: 31)
        }
        #expect(await attempt(a, "right password") == "slow_down")
        #expect(await attempt(b, "right password") == "slow_down")
        h.clock.advance(by: 901)
        #expect(await attempt(b, "right password") == "ok")
        // The success cleared the account counter for both processes.
        #expect(await attempt(a, "wrong again") == "invalid_grant")
        let final = await attempt(a, "right password")
        #expect(final == "ok")
        let stored = try await h.database.read { tx in
            try await tx.query("SELECT count(*) FROM auth_throttle_counters WHERE key_hash = $1 AND dimension = 'address'",
                               Data(SHA256.hash(origin.address)))[0].decode(Int.self, at: 0)
        }
        #expect(stored == 1)
        await h.shutdown()
    }

    @Test func rotationInOneProcessReachesAnotherWithinOneSecond() async throws {
        let h = try await AuthHarness()
        let second = try await AuthService.start(configuration: try AuthHarness.configuration(), database: h.database, clock: h.clock)
        let subscription = try await KeyRingSubscriber.start(conninfo: h.cluster.connection.primaryURL, service: second)
        defer { subscription.cancel() }
        // Wait until the listener is subscribed: a probe notification must make it reload.
        let before = second.verifier.keys.fetchCount
        for _ in 0..<100 where second.verifier.keys.fetchCount == before {
            try await h.database.write { tx in try await tx.query("SELECT pg_notify($1, 'probe')", KeyRingChannel.name) }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(second.verifier.keys.fetchCount > before)

        let client = try await h.createClient()
        try await h.createUser(clientID: client.id, email: "rotate@example.com", password: "pw")
        try await h.service.rotateSigningKey()
        let token = try #require(try await h.login(slug: client.slug, email: "rotate@example.com", password: "pw").string("access_token"))
        let kid = try #require(try JWT.parse(token).header.kid)
        let start = ContinuousClock.now
        // The reload swaps the ring, publishes the JWKS, then refreshes the verifier: wait for the last.
        while ContinuousClock.now - start < .seconds(1), (try? second.verifier.verifyWithCachedKeys(token)) == nil {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(second.jwks().keys.contains { $0.kid == kid })
        #expect(try second.verifier.verifyWithCachedKeys(token).clientID == String(client.id))
        await h.shutdown()
    }
}
