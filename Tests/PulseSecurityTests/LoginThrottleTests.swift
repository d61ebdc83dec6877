import Foundation
import Testing
@testable import PulseSecurity

@Suite struct LoginThrottleTests {
    let account = LoginThrottle.accountKey(clientID: "c1", email: " Ana@Example.TEST ")
    let address = "198.51.100.7"

    @Test func accountKeyNormalisesEmail() {
        #expect(account == LoginThrottle.accountKey(clientID: "c1", email: "ana@example.test"))
        #expect(account != LoginThrottle.accountKey(clientID: "c2", email: "ana@example.test"))
    }

    @Test func freeFailuresThenGrowingDelay() {
        var throttle = LoginThrottle()
        var now = epoch
        for _ in 0..<3 {
            #expect(throttle.check(account: account, address: address, now: now).allowed)
            throttle.recordFailure(account: account, address: address, now: now)
        }
        // 3 free failures used; the 4th failure adds 1 s, then 2 s, 4 s, 8 s.
        var expected: TimeInterval = 1
        for _ in 0..<4 {
            #expect(throttle.check(account: account, address: address, now: now).allowed)
            let d = throttle.recordFailure(account: account, address: address, now: now)
            #expect(!d.allowed)
            #expect(d.reason == .accountDelayed)
            #expect(d.retryAfter == now.addingTimeInterval(expected))
            #expect(!throttle.check(account: account, address: address, now: now.addingTimeInterval(expected - 0.5)).allowed)
            now = now.addingTimeInterval(expected)
            expected *= 2
        }
    }

    @Test func lockoutAfterThresholdAndRecoveryAfterWindow() {
        var throttle = LoginThrottle()
        var now = epoch
        var last: LoginThrottle.Decision?
        for _ in 0..<10 {
            last = throttle.recordFailure(account: account, address: address, now: now)
            now = now.addingTimeInterval(31)  // past any delay
        }
        #expect(last?.reason == .accountLocked)
        #expect(last?.accountFailures == 10)
        let lockedAt = now.addingTimeInterval(-31)
        #expect(last?.retryAfter == lockedAt.addingTimeInterval(900))
        // Locked even with the right password: check happens before the password.
        let during = throttle.check(account: account, address: address, now: lockedAt.addingTimeInterval(899))
        #expect(!during.allowed && during.reason == .accountLocked)
        // Further failures during lockout do not extend it.
        throttle.recordFailure(account: account, address: address, now: lockedAt.addingTimeInterval(100))
        let after = throttle.check(account: account, address: address, now: lockedAt.addingTimeInterval(900))
        #expect(after.allowed && after.reason == .allowed && after.accountFailures == 0)
    }

    @Test func quietWindowResetsCounter() {
        var throttle = LoginThrottle()
        for i in 0..<5 { throttle.recordFailure(account: account, address: address, now: epoch.addingTimeInterval(Double(i) * 20)) }
        let later = epoch.addingTimeInterval(80 + 900)
        let d = throttle.check(account: account, address: address, now: later)
        #expect(d.allowed && d.accountFailures == 0)
        throttle.prune(now: later)
        #expect(throttle.trackedKeys == 0)
    }

    @Test func successClearsAccountButNotAddress() {
        var throttle = LoginThrottle()
        for _ in 0..<3 { throttle.recordFailure(account: account, address: address, now: epoch) }
        throttle.recordSuccess(account: account)
        let d = throttle.check(account: account, address: address, now: epoch)
        #expect(d.accountFailures == 0 && d.addressFailures == 3)
    }

    /// Password spraying: one address, many accounts, each below its own limit.
    @Test func addressLockoutStopsSprayingAcrossAccounts() {
        var throttle = LoginThrottle(addressLimits: ThrottleLimits(freeFailures: 5, baseDelay: 1, maximumDelay: 10,
            lockoutThreshold: 20, lockoutDuration: 600, window: 900))
        var now = epoch
        for i in 0..<20 {
            throttle.recordFailure(account: "c1\u{0}user\(i)@x.test", address: address, now: now)
            now = now.addingTimeInterval(11)
        }
        let fresh = throttle.check(account: "c1\u{0}never-tried@x.test", address: address, now: now)
        #expect(!fresh.allowed && fresh.reason == .addressLocked)
        #expect(throttle.check(account: "c1\u{0}never-tried@x.test", address: "203.0.113.9", now: now).allowed)
        #expect(throttle.check(account: "c1\u{0}never-tried@x.test", address: address, now: now.addingTimeInterval(600)).allowed)
    }

    @Test func capacityBoundsMemory() {
        var throttle = LoginThrottle(capacity: 50)
        for i in 0..<200 { throttle.recordFailure(account: "a\(i)", address: "ip\(i)", now: epoch.addingTimeInterval(Double(i))) }
        #expect(throttle.trackedKeys <= 2 * 51)
        // The most recent entries survive.
        #expect(throttle.check(account: "a199", address: "ip199", now: epoch.addingTimeInterval(199)).accountFailures == 1)
    }
}
