import Foundation

/// Time as the GitHub client sees it: the current time (rate-limit resets are wall-clock
/// epoch seconds) and sleeping. Injected so tests wait virtual minutes in microseconds
/// while still checking that no request leaves before a reset.
public protocol GitHubClock: Sendable {
    func now() -> Date
    func sleep(seconds: Double) async throws
}

/// The real clock: `Date()` and `Task.sleep`.
public struct SystemGitHubClock: GitHubClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(seconds: Double) async throws {
        guard seconds > 0 else { return }
        try await Task.sleep(for: .milliseconds(Int64((seconds * 1000).rounded(.up))))
    }
}

/// How the client retries and waits.
public struct GitHubRetryPolicy: Sendable, Equatable {
    /// Attempts for 5xx, timeouts, dropped connections and unparsable pages (first try included).
    public var maximumAttempts: Int
    /// First backoff of a transient failure, doubled per attempt, capped by `maximumBackoff`.
    public var initialBackoff: Double
    public var maximumBackoff: Double
    /// Rate-limit waits (primary or secondary) one request may go through before giving up.
    public var maximumRateLimitWaits: Int
    /// Secondary limit without `retry-after`: at least this long, then doubled per repeat.
    public var secondaryLimitWait: Double
    /// Longest single wait accepted (a reset further away fails the request instead).
    public var maximumWait: Double

    public init(maximumAttempts: Int = 5, initialBackoff: Double = 1, maximumBackoff: Double = 30,
                maximumRateLimitWaits: Int = 20, secondaryLimitWait: Double = 60, maximumWait: Double = 3_900) {
        self.maximumAttempts = maximumAttempts
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.maximumRateLimitWaits = maximumRateLimitWaits
        self.secondaryLimitWait = secondaryLimitWait
        self.maximumWait = maximumWait
    }
}

/// Why a GitHub call failed, in words an admin can act on.
public enum GitHubAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 401: the token is wrong, expired or revoked.
    case unauthorized(String)
    /// 403 that is not a rate limit: the token lacks a permission or scope.
    case forbidden(url: String, message: String)
    case notFound(url: String)
    /// Another 4xx the client does not retry.
    case status(Int, url: String, message: String)
    /// The host could not be reached, TLS failed, or the connection broke (after retries).
    case transport(url: String, HTTPFailure)
    /// Retries or rate-limit waits ran out.
    case exhausted(url: String, reason: String)
    /// The body is not the JSON expected, after retries (HTML error page, truncated JSON).
    case badPayload(url: String, reason: String)
    /// A base URL or `Link` the client refuses (bad URL, `http://` to a non-loopback host,
    /// a next page on another origin).
    case refusedURL(String)

    /// The transport failure kinds the connection check tells apart.
    public enum HTTPFailure: Sendable, Equatable {
        case unreachable(String)
        case tls(String)
        case timeout(String)
        case other(String)
    }

    public var description: String {
        switch self {
        case .unauthorized(let message): return "GitHub answered 401 (\(message)): the token is wrong, expired or revoked"
        case .forbidden(let url, let message): return "GitHub answered 403 for \(url) (\(message)): the token lacks a permission for it"
        case .notFound(let url): return "GitHub answered 404 for \(url): it does not exist or the token cannot see it"
        case .status(let code, let url, let message): return "GitHub answered \(code) for \(url): \(message)"
        case .transport(let url, .unreachable(let reason)): return "cannot reach \(url): \(reason)"
        case .transport(let url, .tls(let reason)): return "TLS with \(url) failed: \(reason)"
        case .transport(let url, .timeout(let reason)): return "\(url) timed out: \(reason)"
        case .transport(let url, .other(let reason)): return "request to \(url) failed: \(reason)"
        case .exhausted(let url, let reason): return "gave up on \(url): \(reason)"
        case .badPayload(let url, let reason): return "GitHub sent an unusable body for \(url): \(reason)"
        case .refusedURL(let reason): return reason
        }
    }

    /// `error` as a GitHub error (anything else is a transport failure in words).
    static func from(_ error: any Error) -> GitHubAPIError {
        error as? GitHubAPIError ?? .transport(url: "", .other("\(error)"))
    }

    /// False for failures a later retry of the job cannot fix.
    public var retryable: Bool {
        switch self {
        case .unauthorized, .forbidden, .notFound, .status, .refusedURL: return false
        case .transport, .exhausted, .badPayload: return true
        }
    }
}
