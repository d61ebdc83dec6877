import Foundation
import Logging
import PulseHTTP
import PulseHTTPClient

/// Time as the Jira client sees it: `now` and `sleep`. Production uses the system clock;
/// tests pass a virtual clock whose `sleep` advances `now` at once, so a 30 s `Retry-After`
/// costs no real time while the test can still prove no request left before it elapsed.
public struct JiraClock: Sendable {
    public var now: @Sendable () -> Date
    public var sleep: @Sendable (_ seconds: Double) async throws -> Void

    public init(now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (_ seconds: Double) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    public static let system = JiraClock(now: { Date() }, sleep: { try await Task.sleep(for: .milliseconds(Int64($0 * 1000))) })
}

/// How the client retries: attempts per request, exponential backoff with jitter when the
/// server names no wait, and the longest wait it accepts from `Retry-After`.
public struct JiraRetryPolicy: Sendable {
    /// Attempts per request, the first included.
    public var maximumAttempts: Int
    /// The first backoff; doubles per attempt up to `maximumBackoff`.
    public var baseBackoff: Double
    public var maximumBackoff: Double
    /// A `Retry-After` longer than this ends the request with a retryable error (the job
    /// is retried later) instead of holding the job.
    public var maximumWait: Double

    public init(maximumAttempts: Int = 6, baseBackoff: Double = 0.5, maximumBackoff: Double = 30, maximumWait: Double = 600) {
        self.maximumAttempts = maximumAttempts
        self.baseBackoff = baseBackoff
        self.maximumBackoff = maximumBackoff
        self.maximumWait = maximumWait
    }

    /// Backoff before attempt `attempt + 1`: base·2^(attempt-1), capped, times a random
    /// factor in [0.5, 1] ("equal jitter"), so many clients do not retry in step.
    public func backoff(afterAttempt attempt: Int) -> Double {
        let exponential = min(maximumBackoff, baseBackoff * pow(2, Double(max(0, attempt - 1))))
        return exponential * Double.random(in: 0.5...1.0)
    }
}

/// A failed Jira call, in words an admin can act on; `status` is the HTTP status when Jira
/// (or a proxy) answered.
struct JiraAPIError: Error, Sendable, CustomStringConvertible {
    var status: Int?
    var message: String
    var retryable: Bool
    var description: String { message }
    var syncError: SyncError { SyncError(message, retryable: retryable) }
}

/// Jira Cloud REST v3 and Agile 1.0 over Pulse's HTTP client: Basic auth, JSON, bounded
/// retries (429/503 after `Retry-After` or `X-RateLimit-Reset`, 5xx and transport failures
/// and unreadable bodies with exponential backoff and jitter), ErrorCollection bodies turned
/// into words, and the two paging styles of the body (offset and token).
struct JiraAPIClient: Sendable {
    let baseURL: String
    let http: HTTPClient
    let policy: JiraRetryPolicy
    let clock: JiraClock
    let logger: Logger
    /// Receives rate-limit waits and retries (the job's progress).
    let progress: @Sendable (SyncProgressEvent) -> Void
    private let authorization: String

    init(baseURL: String, email: String, apiToken: String, http: HTTPClient, policy: JiraRetryPolicy = .init(),
         clock: JiraClock = .system, logger: Logger, progress: @escaping @Sendable (SyncProgressEvent) -> Void = { _ in }) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.http = http
        self.policy = policy
        self.clock = clock
        self.logger = logger
        self.progress = progress
        self.authorization = "Basic " + Data("\(email):\(apiToken)".utf8).base64EncodedString()
    }

    func get(_ path: String, query: [(String, String)] = []) async throws(JiraAPIError) -> JiraValue {
        try await send(.get, path, query: query, body: nil)
    }

    func post(_ path: String, body: JiraValue, query: [(String, String)] = []) async throws(JiraAPIError) -> JiraValue {
        try await send(.post, path, query: query, body: body)
    }

    /// Offset pages (`startAt`/`maxResults`/`total`/`isLast`): calls `body` with each page's
    /// items under `itemsKey` until the last page. Reads back `maxResults` (servers cap it
    /// silently), survives empty pages, and stops on `isLast`, else on `total`, else on a
    /// page shorter than the page size.
    func offsetPages(_ path: String, query: [(String, String)] = [], itemsKey: String = "values", pageSize: Int = 50,
                     _ body: ([JiraValue]) async throws -> Void) async throws {
        var startAt = 0
        var pages = 0
        while true {
            pages += 1
            guard pages <= 100_000 else { throw JiraAPIError(status: nil, message: "\(path) did not end after 100000 pages", retryable: false) }
            let page = try await get(path, query: query + [("startAt", String(startAt)), ("maxResults", String(pageSize))])
            let items = page[itemsKey].array
            if !items.isEmpty { try await body(items) }
            let served = page["maxResults"].int.flatMap { $0 > 0 ? $0 : nil } ?? pageSize
            let total = page["total"].int
            let next = startAt + items.count
            if let isLast = page["isLast"].bool {
                if isLast { return }
                if items.isEmpty {
                    // An empty page that says more follow: step over it once, by the page size served.
                    guard let total, startAt + served < total else { return }
                    startAt += served
                    continue
                }
            } else if let total {
                if next >= total || items.isEmpty { return }
            } else if items.count < served || items.isEmpty {
                return
            }
            startAt = next
        }
    }

    // MARK: - One request with retries

    private func send(_ method: HTTPMethod, _ path: String, query: [(String, String)], body: JiraValue?) async throws(JiraAPIError) -> JiraValue {
        let url = baseURL + path + Self.queryString(query)
        var headers: HTTPHeaders = ["Authorization": authorization, "Accept": "application/json"]
        var bytes: [UInt8] = []
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            bytes = Array(body.jsonText.utf8)
        }
        let request = HTTPClientRequest(method: method, url: url, headers: headers, body: bytes)
        var attempt = 0
        while true {
            attempt += 1
            let reason: String
            let wait: Double?
            switch await once(request, method: method, path: path, attempt: attempt) {
            case .done(let value): return value
            case .fail(let error): throw error
            case .retry(let why, let named):
                reason = why
                wait = named
            }
            guard attempt < policy.maximumAttempts else {
                throw JiraAPIError(status: nil, message: "\(reason); gave up after \(attempt) attempts", retryable: true)
            }
            let seconds: Double
            if let wait {
                seconds = wait
                progress(SyncProgressEvent(.rateLimitWait(seconds: wait, reason: reason)))
                logger.info("jira: waiting before retry", metadata: ["seconds": "\(wait)", "reason": "\(reason)"])
            } else {
                seconds = policy.backoff(afterAttempt: attempt)
                progress(SyncProgressEvent(.retry(attempt: attempt + 1, reason: reason)))
                logger.info("jira: retrying", metadata: ["attempt": "\(attempt + 1)", "reason": "\(reason)"])
            }
            do { try await clock.sleep(seconds) } catch { throw JiraAPIError(status: nil, message: "cancelled while waiting to retry \(path)", retryable: false) }
        }
    }

    private enum Outcome {
        case done(JiraValue)
        /// Retry after `wait` seconds (a rate limit that named its wait) or after a backoff.
        case retry(String, wait: Double?)
        case fail(JiraAPIError)
    }

    private func once(_ request: HTTPClientRequest, method: HTTPMethod, path: String, attempt: Int) async -> Outcome {
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request)
        } catch {
            switch error {
            case .invalidURL, .tlsHandshakeFailed, .tlsConfiguration, .responseTooLarge, .tooManyRedirects, .shutdown, .cancelled:
                return .fail(JiraAPIError(status: nil, message: Self.transportWords(error, url: baseURL), retryable: error != .cancelled))
            default:
                return .retry(Self.transportWords(error, url: baseURL), wait: nil)
            }
        }
        let status = response.status.code
        switch status {
        case 200..<300:
            if response.body.isEmpty || status == 204 { return .done(.absent) }
            do {
                return .done(try JiraValue.parse(response.body))
            } catch {
                return .retry("\(method) \(path) answered \(status) with \(error.summary)", wait: nil)
            }
        case 429, 503:
            let named = Self.retryAfter(response.headers, now: clock.now())
            let reason = status == 429
                ? "rate limited (429\(response.headers["RateLimit-Reason"].map { ", \($0)" } ?? ""))"
                : "Jira unavailable (503)"
            if let named, named > policy.maximumWait {
                return .fail(JiraAPIError(status: status, message: "Jira asked to wait \(Int(named)) s before \(path) (\(reason)); the job will be retried later", retryable: true))
            }
            return .retry(reason, wait: named ?? policy.backoff(afterAttempt: attempt))
        case 500, 502, 504, 408:
            return .retry("\(method) \(path) answered \(status)\(Self.words(response.body).map { ": \($0)" } ?? "")", wait: nil)
        default:
            return .fail(Self.failure(status: status, method: method, path: path, response: response))
        }
    }

    /// Seconds to wait from `Retry-After` (seconds or an HTTP date) or `X-RateLimit-Reset`
    /// (ISO 8601, e.g. `2024-05-01T13:45Z`); nil when neither is usable.
    static func retryAfter(_ headers: HTTPHeaders, now: Date) -> Double? {
        if let value = headers["Retry-After"]?.trimmingCharacters(in: .whitespaces) {
            if let seconds = Double(value), seconds >= 0 { return seconds }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            if let date = formatter.date(from: value) { return max(0, date.timeIntervalSince(now)) }
        }
        if let reset = headers["X-RateLimit-Reset"].flatMap({ JiraTime.parse($0.trimmingCharacters(in: .whitespaces)) }) {
            return max(0, reset.timeIntervalSince(now))
        }
        return nil
    }

    static func queryString(_ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return "" }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return "?" + items.map { name, value in
            "\(name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }.joined(separator: "&")
    }

    // MARK: - Words

    /// Jira's ErrorCollection (`{"errorMessages": [...], "errors": {"field": "msg"}}`) as one
    /// sentence; nil for bodies without one (HTML pages get their title).
    static func words(_ body: [UInt8]) -> String? {
        guard !body.isEmpty else { return nil }
        guard let value = try? JiraValue.parse(body) else {
            return JiraPayloadError(body: body).summary
        }
        var parts = value["errorMessages"].array.compactMap(\.text)
        for (field, message) in value["errors"].members.sorted(by: { $0.key < $1.key }) {
            if let text = message.text { parts.append("\(field): \(text)") }
        }
        if parts.isEmpty, let message = value["message"].text { parts.append(message) }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    private static func failure(status: Int, method: HTTPMethod, path: String, response: HTTPClientResponse) -> JiraAPIError {
        let said = words(response.body).map { " (\($0))" } ?? ""
        let message: String
        switch status {
        case 401: message = "Jira answered 401 Unauthorized\(said): the email or API token is wrong or revoked; create a new API token at id.atlassian.com and update the integration"
        case 403: message = "Jira answered 403 Forbidden for \(path)\(said): the account lacks permission (browse projects / Jira access)"
        case 404: message = "Jira answered 404 Not Found for \(path)\(said): check the base URL and that the project or item exists"
        case 410 where path.hasSuffix("/rest/api/3/search"):
            message = "Jira answered 410 Gone for \(path): the old search API was removed (CHANGE-2046); Pulse uses /rest/api/3/search/jql"
        case 410: message = "Jira answered 410 Gone for \(path)\(said): this API was removed"
        case 400: message = "Jira refused \(method) \(path) with 400 Bad Request\(said)"
        default: message = "Jira answered \(status) for \(method) \(path)\(said)"
        }
        return JiraAPIError(status: status, message: message, retryable: status >= 500)
    }

    static func transportWords(_ error: HTTPClientError, url: String) -> String {
        switch error {
        case .resolveFailed(let host): return "cannot resolve the Jira host \(host): check the base URL \(url)"
        case .connectFailed(let host, let port, let reason): return "cannot connect to Jira at \(host):\(port) (\(reason)): the host is unreachable or the port is wrong"
        case .connectTimeout: return "connecting to Jira at \(url) timed out: the host is unreachable"
        case .tlsHandshakeFailed(let reason): return "TLS handshake with Jira at \(url) failed (\(reason)): the certificate is not trusted or does not match the host"
        case .invalidURL(let u): return "the Jira base URL is not valid: \(u)"
        default: return "Jira request to \(url) failed: \(error)"
        }
    }
}
