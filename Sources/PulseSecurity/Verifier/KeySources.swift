import Foundation
import Synchronization

/// Where "now" comes from. Injected everywhere time matters so tests can move it.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The system clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that only moves when told to (tests, simulations, replaying audit logs).
public final class ManualWallClock: WallClock {
    private let current: Mutex<Date>
    public init(_ start: Date) { current = Mutex(start) }
    public func now() -> Date { current.withLock { $0 } }
    public func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    public func set(_ date: Date) { current.withLock { $0 = date } }
}

/// Fetches the issuer's JWKS. Services implement it with an HTTP GET of
/// `/.well-known/jwks.json`; the auth service itself reads its own key ring.
public protocol JWKSFetching: Sendable {
    func fetchJWKS() async throws -> JWKSet
}

/// An in-process key source: the auth service publishes its ring here and verifies its own
/// tokens through the same `TokenVerifier` as everyone else. Counts fetches (metrics, tests).
public final class InMemoryJWKSSource: JWKSFetching {
    private let state: Mutex<(keys: JWKSet, fetches: Int)>

    public init(_ keys: JWKSet = JWKSet(keys: [])) { state = Mutex((keys, 0)) }

    public func publish(_ keys: JWKSet) { state.withLock { $0.keys = keys } }

    public var fetchCount: Int { state.withLock { $0.fetches } }

    public func fetchJWKS() async throws -> JWKSet {
        state.withLock {
            $0.fetches += 1
            return $0.keys
        }
    }
}
