import Foundation
import PulseHTTP
import Synchronization

/// Token buckets per (class, client address): `limit` requests per `window`, refilled evenly,
/// with a burst of `limit`. Idle buckets are dropped so a scan of many addresses cannot grow
/// it without bound.
public final class RateLimiter: Sendable {
    /// One class of requests and its budget per address.
    public struct Rule: Sendable, Equatable {
        public var name: String
        /// Requests per window; 0 turns the rule off.
        public var limit: Int
        public var window: Double

        public init(name: String, limit: Int, window: Double = 60) {
            self.name = name
            self.limit = limit
            self.window = window
        }
    }

    struct Bucket {
        var tokens: Double
        var updated: Double
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock: @Sendable () -> Double
    static let maximumBuckets = 100_000

    public init(clock: @escaping @Sendable () -> Double = { Date().timeIntervalSinceReferenceDate }) {
        self.clock = clock
    }

    /// Takes one token for `key` under `rule`: nil when allowed, else the seconds until one is free.
    public func take(_ rule: Rule, key: String) -> Int? {
        guard rule.limit > 0 else { return nil }
        let now = clock()
        let rate = Double(rule.limit) / rule.window
        return buckets.withLock { buckets -> Int? in
            let id = rule.name + "|" + key
            var bucket = buckets[id] ?? Bucket(tokens: Double(rule.limit), updated: now)
            bucket.tokens = min(Double(rule.limit), bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[id] = bucket
                if buckets.count > Self.maximumBuckets { Self.prune(&buckets, now: now, window: rule.window) }
                return nil
            }
            buckets[id] = bucket
            return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
        }
    }

    private static func prune(_ buckets: inout [String: Bucket], now: Double, window: Double) {
        buckets = buckets.filter { now - $0.value.updated < window }
    }
}

/// Answers 429 (problem+json, `Retry-After`) when the caller's address has used up its budget:
/// `POST /auth/login` (and the OIDC start) under the login rule, the proxied APIs (`/api`,
/// `/auth`, `/etl`, `/ai`) under the API rule. Static files and health probes are not limited.
/// The address is the connection's peer: the gateway is the edge and trusts no forwarding header.
public struct RateLimitMiddleware: Middleware {
    public let limiter: RateLimiter
    public let login: RateLimiter.Rule
    public let api: RateLimiter.Rule
    static let apiPrefixes = ["/api/", "/auth/", "/etl/", "/ai/"]

    public init(limiter: RateLimiter = RateLimiter(), login: RateLimiter.Rule, api: RateLimiter.Rule) {
        self.limiter = limiter
        self.login = login
        self.api = api
    }

    public func handle(_ request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
        let address = request.remoteAddress?.host ?? "unknown"
        var rules: [RateLimiter.Rule] = []
        if (request.method == .post && request.path == "/auth/login") || request.path.hasPrefix("/auth/oidc/") { rules.append(login) }
        if Self.apiPrefixes.contains(where: { request.path.hasPrefix($0) }) { rules.append(api) }
        for rule in rules {
            if let wait = limiter.take(rule, key: address) {
                var response = ProblemDetails(status: .tooManyRequests, type: "urn:pulse:gateway:rate-limited",
                                              detail: "too many requests from this address (\(rule.name)); try again in \(wait) s").response()
                response.headers.add(name: "Retry-After", value: String(wait))
                return response
            }
        }
        return try await next.respond(to: request)
    }
}
