import Foundation
import Logging
import PulseHTTP
import PulseHTTPClient
import Synchronization

/// One GitHub answer the client accepted (2xx, or a 304 served from the ETag cache).
public struct GitHubResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The `rel="next"` URL of the `Link` header, exactly as given.
    public var next: String?
    /// True when GitHub answered 304 and the body came from the ETag cache.
    public var fromCache: Bool
}

/// GitHub REST over `HTTPClient`: the mandatory headers, `Link` pagination, ETags,
/// primary and secondary rate limits, retries of 5xx/timeouts with backoff and jitter.
/// Every wait and retry is reported through `report` (the job's progress). Requests are
/// serial per caller; a primary-limit reset seen by one request holds back every later
/// request of this client until the reset.
public final class GitHubAPIClient: Sendable {
    public let baseURL: String
    private let origin: ClientURL.Origin
    private let http: HTTPClient
    private let token: String
    private let policy: GitHubRetryPolicy
    private let clock: any GitHubClock
    private let cache: (any GitHubResponseCache)?
    private let report: @Sendable (SyncProgressEvent) -> Void
    private let jitter: @Sendable () -> Double
    private let logger: Logger
    /// Until when no request may be sent (a primary limit at 0), epoch seconds.
    private let blockedUntil = Mutex<Double>(0)
    private let counters = Mutex<(requests: Int, notModified: Int, waits: Int, retries: Int)>((0, 0, 0, 0))

    public static let userAgent = "Pulse-ETL/1.0 (+github connector)"

    /// - Parameters:
    ///   - baseURL: the API root: `https://api.github.com`, a GitHub Enterprise
    ///     `https://host/api/v3`, or a local sandbox `http://127.0.0.1:port`.
    ///   - allowInsecureHTTP: accept `http://` to a non-loopback host.
    public init(http: HTTPClient, baseURL: String, token: String, allowInsecureHTTP: Bool = false,
                policy: GitHubRetryPolicy = .init(), clock: any GitHubClock = SystemGitHubClock(),
                cache: (any GitHubResponseCache)? = nil, logger: Logger,
                jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
                report: @escaping @Sendable (SyncProgressEvent) -> Void = { _ in }) throws {
        var root = baseURL.trimmingCharacters(in: .whitespaces)
        while root.hasSuffix("/") { root.removeLast() }
        if root.isEmpty { root = "https://api.github.com" }
        let parsed: ClientURL
        do { parsed = try ClientURL(root) } catch { throw GitHubAPIError.refusedURL("the base URL \(baseURL) is not a valid http(s) URL") }
        if parsed.scheme == .http && !allowInsecureHTTP && !Self.isLoopback(parsed.host) {
            throw GitHubAPIError.refusedURL(
                "the base URL \(root) uses http:// to a host that is not loopback; use https:// or set \"allow_insecure_http\": true in the integration settings")
        }
        self.baseURL = root
        self.origin = parsed.origin
        self.http = http
        self.token = token
        self.policy = policy
        self.clock = clock
        self.cache = cache
        self.logger = logger
        self.jitter = jitter
        self.report = report
    }

    static func isLoopback(_ host: String) -> Bool {
        let lower = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return lower == "localhost" || lower == "::1" || lower.hasPrefix("127.")
    }

    /// Requests sent, 304s answered from the cache, rate-limit waits and retries so far.
    public var statistics: (requests: Int, notModified: Int, waits: Int, retries: Int) { counters.withLock { $0 } }

    /// The absolute URL of an API path (`/orgs/acme/repos?per_page=100`).
    public func url(_ path: String) -> String { baseURL + (path.hasPrefix("/") ? path : "/" + path) }

    /// GETs `url` (absolute, on the base URL's origin), waiting out rate limits and
    /// retrying transient failures. With `conditional`, sends the stored ETag and answers a
    /// 304 from the cache; stores new ETags. `validate` checks the body (e.g. that it parses
    /// as the JSON expected): a failure retries the page like a 502.
    public func get(_ url: String, conditional: Bool = false,
                    validate: (@Sendable ([UInt8]) -> String?)? = nil) async throws -> GitHubResponse {
        guard let target = try? ClientURL(url), target.origin == origin else {
            throw GitHubAPIError.refusedURL("refusing to send the token to \(url): not on the integration's origin \(origin)")
        }
        var cached: GitHubCachedPage?
        if conditional, let cache { cached = try? await cache.page(for: url) }
        var attempt = 0
        var rateLimitWaits = 0
        var secondaryWaits = 0
        var lastFailure = ""
        while true {
            attempt += 1
            try await waitForPrimaryReset(url: url)
            var headers: HTTPHeaders = [
                "Authorization": "Bearer \(token)", "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28", "User-Agent": Self.userAgent,
            ]
            if let cached { headers.add(name: "If-None-Match", value: cached.etag) }
            counters.withLock { $0.requests += 1 }
            let response: HTTPClientResponse
            do {
                response = try await http.execute(HTTPClientRequest(method: .get, url: url, headers: headers))
            } catch {
                let failure = Self.classify(error)
                if case HTTPClientError.cancelled = error { throw GitHubAPIError.transport(url: url, .other("cancelled")) }
                lastFailure = "\(error)"
                if attempt >= policy.maximumAttempts { throw GitHubAPIError.transport(url: url, failure) }
                try await backoff(attempt: attempt, reason: "\(error)")
                continue
            }
            let status = response.status.code
            recordLimits(response.headers, status: status)
            switch status {
            case 200..<300:
                if let validate, let problem = validate(response.body) {
                    lastFailure = problem
                    if attempt >= policy.maximumAttempts { throw GitHubAPIError.badPayload(url: url, reason: problem) }
                    try await backoff(attempt: attempt, reason: "unusable body (\(problem))")
                    continue
                }
                let link = response.headers["Link"]
                if conditional, let cache, let etag = response.headers["ETag"] {
                    try? await cache.store(GitHubCachedPage(etag: etag, link: link, body: response.body), for: url)
                }
                return GitHubResponse(status: status, headers: response.headers, body: response.body,
                                      next: Self.nextLink(link), fromCache: false)
            case 304:
                guard let cached else {
                    throw GitHubAPIError.status(304, url: url, message: "304 Not Modified without a conditional request")
                }
                counters.withLock { $0.notModified += 1 }
                return GitHubResponse(status: 304, headers: response.headers, body: cached.body,
                                      next: Self.nextLink(cached.link), fromCache: true)
            case 401:
                throw GitHubAPIError.unauthorized(Self.message(response))
            case 403, 429:
                let message = Self.message(response)
                let headers = response.headers
                let retryAfter = headers["retry-after"].flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                let remaining = headers["x-ratelimit-remaining"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                let reset = headers["x-ratelimit-reset"].flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                let lower = message.lowercased()
                let secondary = lower.contains("secondary rate limit") || lower.contains("abuse")
                    || lower.contains("rate limit")
                let wait: Double
                let reason: String
                if let retryAfter {
                    wait = max(0, retryAfter)
                    reason = "GitHub \(status) with retry-after \(Int(retryAfter)) s"
                } else if remaining == 0, let reset {
                    wait = max(0, reset - clock.now().timeIntervalSince1970) + 1
                    reason = "GitHub primary rate limit exhausted; reset at epoch \(Int(reset))"
                } else if status == 429 || secondary {
                    wait = policy.secondaryLimitWait * pow(2, Double(secondaryWaits))
                    secondaryWaits += 1
                    reason = "GitHub secondary rate limit (\(status)): \(message)"
                } else {
                    throw GitHubAPIError.forbidden(url: url, message: message)
                }
                rateLimitWaits += 1
                if rateLimitWaits > policy.maximumRateLimitWaits || wait > policy.maximumWait {
                    throw GitHubAPIError.exhausted(url: url, reason: "\(reason); \(rateLimitWaits - 1) waits already")
                }
                attempt = 0  // rate-limit waits do not use up the transient-failure attempts
                counters.withLock { $0.waits += 1 }
                report(SyncProgressEvent(.rateLimitWait(seconds: wait, reason: reason)))
                logger.info("github rate limit wait", metadata: ["seconds": "\(wait)", "reason": "\(reason)"])
                // Hold back this client's other requests too, not only this one.
                block(until: remaining == 0 && retryAfter == nil ? (reset ?? 0) : clock.now().timeIntervalSince1970 + wait)
                try await sleep(wait, url: url)
            case 404:
                throw GitHubAPIError.notFound(url: url)
            case 500..<600:
                lastFailure = "GitHub answered \(status)"
                if attempt >= policy.maximumAttempts {
                    throw GitHubAPIError.exhausted(url: url, reason: "\(lastFailure) \(attempt) times")
                }
                try await backoff(attempt: attempt, reason: lastFailure)
            default:
                throw GitHubAPIError.status(status, url: url, message: Self.message(response))
            }
        }
    }

    /// Drops the stored ETag of `url`: its page held items the connector skipped, so the
    /// next run must get the body again instead of a 304 replaying the same bad items.
    public func forget(_ url: String) async {
        try? await cache?.remove(url)
    }

    /// Primary limit: remember a reset when the quota is at 0, so no request leaves before it.
    private func recordLimits(_ headers: HTTPHeaders, status: Int) {
        guard let remaining = headers["x-ratelimit-remaining"].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
            remaining == 0, let reset = headers["x-ratelimit-reset"].flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) })
        else { return }
        block(until: reset)
    }

    private func block(until reset: Double) {
        blockedUntil.withLock { $0 = max($0, reset) }
    }

    private func waitForPrimaryReset(url: String) async throws {
        let until = blockedUntil.withLock { $0 }
        let now = clock.now().timeIntervalSince1970
        guard until > now else { return }
        let wait = until - now + 1
        if wait > policy.maximumWait {
            throw GitHubAPIError.exhausted(url: url, reason: "the primary rate limit resets in \(Int(wait)) s")
        }
        counters.withLock { $0.waits += 1 }
        let reason = "GitHub primary rate limit at 0; waiting for the reset at epoch \(Int(until))"
        report(SyncProgressEvent(.rateLimitWait(seconds: wait, reason: reason)))
        try await sleep(wait, url: url)
    }

    private func backoff(attempt: Int, reason: String) async throws {
        let base = min(policy.maximumBackoff, policy.initialBackoff * pow(2, Double(attempt - 1)))
        let delay = base * (0.5 + 0.5 * jitter())
        counters.withLock { $0.retries += 1 }
        report(SyncProgressEvent(.retry(attempt: attempt + 1, reason: reason)))
        logger.info("github retry", metadata: ["attempt": "\(attempt + 1)", "reason": "\(reason)", "delay": "\(delay)"])
        try await sleep(delay, url: "")
    }

    private func sleep(_ seconds: Double, url: String) async throws {
        do { try await clock.sleep(seconds: seconds) } catch { throw GitHubAPIError.transport(url: url, .other("cancelled while waiting")) }
    }

    static func classify(_ error: HTTPClientError) -> GitHubAPIError.HTTPFailure {
        switch error {
        case .resolveFailed, .connectFailed: return .unreachable(error.description)
        case .tlsHandshakeFailed, .tlsConfiguration: return .tls(error.description)
        case .connectTimeout, .requestTimeout, .overallTimeout, .poolExhausted: return .timeout(error.description)
        default: return .other(error.description)
        }
    }

    /// GitHub's `message` from a `basic-error` body, else the start of the body.
    static func message(_ response: HTTPClientResponse) -> String {
        if let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            let message = object["message"] as? String
        {
            return message
        }
        let text = response.bodyText.prefix(120).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? response.status.description : String(text)
    }

    /// The `rel="next"` target of a `Link` header, verbatim (commas inside `<…>` allowed).
    public static func nextLink(_ header: String?) -> String? {
        guard let header else { return nil }
        var rest = Substring(header)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            let target = rest[rest.index(after: open)..<close]
            let after = rest[rest.index(after: close)...]
            let end = after.firstIndex(of: "<") ?? after.endIndex
            let isNext = after[..<end].split(separator: ";").contains { piece in
                let item = piece.trimmingCharacters(in: CharacterSet(charactersIn: " ,\t")).lowercased()
                guard item.hasPrefix("rel=") else { return false }
                let value = item.dropFirst(4).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return value.split(separator: " ").contains("next")
            }
            if isNext { return String(target) }
            rest = after[end...]
        }
        return nil
    }
}
