import Foundation
import Synchronization

/// A cache of verification keys in front of a `JWKSFetching` source.
///
/// - Lookups are synchronous and lock-cheap (the hot path of every request).
/// - An unknown `kid` triggers a refetch (the issuer probably rotated), but at most once per
///   `minimumRefetchInterval`, so a flood of tokens with random `kid`s costs the issuer one
///   request per interval, not one per token. Concurrent callers share one in-flight fetch.
/// - A failed fetch keeps the previous keys: an issuer outage does not log everyone out.
public final class JWKSCache: Sendable {
    public struct Configuration: Sendable {
        /// Least time between two fetches triggered by unknown key ids.
        public var minimumRefetchInterval: TimeInterval
        /// Keys older than this are refreshed on the next lookup miss or `refreshIfStale`.
        public var maximumAge: TimeInterval

        public init(minimumRefetchInterval: TimeInterval = 10, maximumAge: TimeInterval = 600) {
            self.minimumRefetchInterval = minimumRefetchInterval
            self.maximumAge = maximumAge
        }
    }

    private struct State {
        var keys: [String: VerificationKey] = [:]
        var fetchedAt: Date?
        var lastAttempt: Date?
        var inflight: Task<[String: VerificationKey], any Error>?
        var fetches = 0
        var refusedRefetches = 0
    }

    private let source: any JWKSFetching
    private let clock: any WallClock
    public let configuration: Configuration
    private let state = Mutex(State())

    public init(source: any JWKSFetching, configuration: Configuration = .init(), clock: any WallClock = SystemWallClock()) {
        self.source = source
        self.configuration = configuration
        self.clock = clock
    }

    /// The cached key with this id, without fetching.
    public func key(for keyID: String) -> VerificationKey? { state.withLock { $0.keys[keyID] } }

    public var keyIDs: [String] { state.withLock { Array($0.keys.keys).sorted() } }
    /// Fetches performed so far.
    public var fetchCount: Int { state.withLock { $0.fetches } }
    /// Refetches refused by the rate limit so far (a high number means someone is probing).
    public var refusedRefetchCount: Int { state.withLock { $0.refusedRefetches } }

    /// The key for `keyID`, refetching the set once (rate-limited) when it is not cached.
    public func key(for keyID: String, refetchIfUnknown: Bool) async throws(SecurityError) -> VerificationKey {
        if let key = key(for: keyID) { return key }
        guard refetchIfUnknown, try await refresh() else {
            throw SecurityError(.unknownKeyID, "no key with this key id")
        }
        guard let key = key(for: keyID) else { throw SecurityError(.unknownKeyID, "no key with this key id") }
        return key
    }

    /// Refreshes when the keys are older than `maximumAge` (call from a timer, or before use).
    public func refreshIfStale() async throws(SecurityError) {
        let now = clock.now()
        let stale = state.withLock { s in s.fetchedAt.map { now.timeIntervalSince($0) >= configuration.maximumAge } ?? true }
        if stale { _ = try await refresh() }
    }

    /// Fetches the key set unless a fetch happened less than `minimumRefetchInterval` ago.
    /// Returns false when the rate limit refused. Joins a fetch already in flight.
    /// `force` (a trusted push said the keys changed, e.g. a rotation NOTIFY) skips the rate
    /// limit and starts a fresh fetch, so the new set is what it loads.
    @discardableResult
    public func refresh(force: Bool = false) async throws(SecurityError) -> Bool {
        let now = clock.now()
        let interval = configuration.minimumRefetchInterval
        let source = self.source
        let task: Task<[String: VerificationKey], any Error>? = state.withLock { s in
            if !force, let inflight = s.inflight { return inflight }
            if !force, let last = s.lastAttempt, now.timeIntervalSince(last) < interval, now >= last {
                s.refusedRefetches += 1
                return nil
            }
            s.lastAttempt = now
            s.fetches += 1
            let t = Task { try await source.fetchJWKS().verificationKeys() }
            s.inflight = t
            return t
        }
        guard let task else { return false }
        do {
            let keys = try await task.value
            state.withLock { s in
                if s.inflight == task {
                    s.keys = keys
                    s.fetchedAt = now
                    s.inflight = nil
                }
            }
            return true
        } catch {
            state.withLock { s in if s.inflight == task { s.inflight = nil } }
            throw SecurityError(.keySetUnavailable, "key set could not be fetched")
        }
    }
}
