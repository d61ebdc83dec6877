import Foundation
import Logging
import PulseHTTP
import Synchronization

/// The GitHub REST and Jira Cloud sandbox on Pulse's HTTP server: one port, both vendors
/// (`/orgs`, `/repos`, `/rate_limit`, `/user`, optionally under `/api/v3`; `/rest/api/3`,
/// `/rest/agile/1.0`), the vendors' payload shapes, paging, headers, auth and rate limits,
/// plus the configured faults.
///
/// ```swift
/// let sandbox = SandboxServer(configuration: SandboxConfiguration(seed: 7, scale: .test))
/// let port = try sandbox.start()
/// ... // GET http://127.0.0.1:\(port)/orgs/acme-pay/repos with "Authorization: Bearer x"
/// await sandbox.shutdown()
/// ```
public final class SandboxServer: Sendable {
    public let configuration: SandboxConfiguration
    let state: Mutex<SandboxState>
    private let http: Mutex<HTTPServer?>
    let logger: Logger

    public init(configuration: SandboxConfiguration,
                logger: Logger = Logger(label: "pulse.sandbox", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.configuration = configuration
        self.logger = logger
        state = Mutex(SandboxState(organisation: SandboxOrganisation(configuration: configuration)))
        http = Mutex(nil)
    }

    /// Binds `configuration.host`:`configuration.port` and starts serving.
    /// - Returns: the bound port.
    @discardableResult
    public func start() throws -> Int {
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(host: configuration.host, port: configuration.port, eventLoopCount: 2,
                                                   serverName: "pulse-sandbox", handlerExecution: .concurrencyPool),
            responder: ClosureResponder { [self] request in await self.respond(to: request) }, logger: logger)
        let port = try server.start()
        http.withLock { $0 = server }
        return port
    }

    public func shutdown() async {
        let server = http.withLock { s -> HTTPServer? in defer { s = nil }; return s }
        await server?.shutdown()
    }

    /// The organisation being served now (after any `mutate`).
    public var organisation: SandboxOrganisation { state.withLock { $0.organisation } }

    /// Every request received so far, oldest first.
    public var requests: [SandboxRequestRecord] { state.withLock { $0.records } }

    public func clearRequests() { state.withLock { $0.records.removeAll() } }

    /// Serves `fault` for the next `times` requests whose path (without `/api/v3` and query)
    /// equals `path`, e.g. `/repos/acme-pay/api/pulls` or `/rest/api/3/search/jql`.
    public func inject(_ fault: SandboxPayloadFault, path: String, times: Int = 1) {
        state.withLock { $0.injections.append(SandboxInjection(path: path, fault: fault, remaining: times)) }
    }

    /// Changes about `fraction` of the served data (see `SandboxOrganisation.mutate`).
    public func mutate(fraction: Double) {
        state.withLock { $0.organisation.mutate(fraction: fraction) }
    }

    // MARK: - The pipeline

    func respond(to raw: HTTPRequest) async -> HTTPResponse {
        let now = Date().timeIntervalSince1970
        var path = raw.path
        var prefix = ""
        if path.hasPrefix("/api/v3/") || path == "/api/v3" {
            prefix = "/api/v3"
            path = String(path.dropFirst(7))
            if path.isEmpty { path = "/" }
        }
        let request = SandboxRequest(
            method: raw.method.description, path: path, prefix: prefix,
            queryItems: raw.queryItems.map { ($0.name, $0.value ?? "") },
            host: raw.headers["Host"] ?? "\(configuration.host):\(configuration.port)",
            headers: raw.headers.map { ($0.name, $0.value) }, body: raw.body)
        if configuration.faults.latencyMilliseconds > 0 {
            try? await Task.sleep(for: .milliseconds(configuration.faults.latencyMilliseconds))
        }
        let jira = path.hasPrefix("/rest/")
        var reply = jira ? jiraPipeline(request, now: now) : gitHubPipeline(request, now: now)
        reply.headers.append(("Date", Self.httpDate(now)))
        let record = SandboxRequestRecord(receivedAt: now, method: request.method, target: raw.target, status: reply.status,
                                          retryNotBefore: reply.retryNotBefore, early: reply.early)
        state.withLock { $0.records.append(record) }
        return reply.response
    }

    /// Faults common to both vendors: 502 pages, then rate-limit refusals (with the early-retry rule).
    func commonFaults(_ request: SandboxRequest, now: Double, vendorLimited: (Int, Bool) -> SandboxReply) -> SandboxReply? {
        let faults = configuration.faults
        return state.withLock { s -> SandboxReply? in
            s.counter += 1
            let n = s.counter
            if let until = s.retryNotBefore, now < until {
                var r = vendorLimited(Int((until - now).rounded(.up)), s.limitedWith429)
                r.retryNotBefore = until
                r.early = true
                return r
            }
            if faults.badGatewayEvery > 0 && n % faults.badGatewayEvery == 0 {
                return SandboxReply(status: 502, raw: Array(SandboxFaultPages.badGateway.utf8), contentType: "text/html; charset=utf-8")
            }
            if faults.rateLimitEvery > 0 && n % faults.rateLimitEvery == 0 {
                let until = now + Double(faults.retryAfterSeconds)
                s.retryNotBefore = until
                s.limitedWith429 = n / faults.rateLimitEvery % 2 == 0
                var r = vendorLimited(faults.retryAfterSeconds, s.limitedWith429)
                r.retryNotBefore = until
                return r
            }
            return nil
        }
    }

    /// A payload fault injected for this path, consumed.
    func takeInjection(_ path: String) -> SandboxPayloadFault? {
        state.withLock { s in
            guard let i = s.injections.firstIndex(where: { $0.path == path && $0.remaining > 0 }) else { return nil }
            s.injections[i].remaining -= 1
            return s.injections[i].fault
        }
    }

    /// `Mon, 07 Dec 2026 15:11:01 GMT` (the `Date` header).
    static func httpDate(_ t: Double) -> String {
        let iso = SandboxTime.github(Int64(t)).utf8.map { Character(Unicode.Scalar($0)) }
        let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let text = String(iso)
        let month = Int(text.dropFirst(5).prefix(2))!
        return "\(days[Int((Int64(t) / 86_400) % 7)]), \(text.dropFirst(8).prefix(2)) \(months[month - 1]) \(text.prefix(4)) \(text.dropFirst(11).prefix(8)) GMT"
    }
}

/// The server's mutable state: the organisation, budgets, faults in progress, the request log.
struct SandboxState: Sendable {
    var organisation: SandboxOrganisation
    var records: [SandboxRequestRecord] = []
    var injections: [SandboxInjection] = []
    /// GitHub primary budgets by token.
    var budgets: [String: GitHubBudget] = [:]
    var counter = 0
    var retryNotBefore: Double?
    /// Whether the refusal in force answers 429 (else 403, GitHub).
    var limitedWith429 = false
    /// Sorted search results by query, for the organisation generation they were computed on.
    var searchCache: [String: (generation: Int, positions: [Int])] = [:]
    /// Listings already shifted once (fault `shiftingPages`).
    var shifted: Set<String> = []
}

struct GitHubBudget: Sendable {
    var used: Int
    var resetAt: Int64
}

/// What a handler answers, before it becomes an `HTTPResponse`.
struct SandboxReply: Sendable {
    var status: Int
    var json: SandboxJSON?
    var raw: [UInt8]?
    var contentType: String = "application/json; charset=utf-8"
    var headers: [(String, String)] = []
    var retryNotBefore: Double?
    /// Whether the refusal in force answers 429 (else 403, GitHub).
    var limitedWith429 = false
    var early = false

    init(status: Int = 200, json: SandboxJSON? = nil, raw: [UInt8]? = nil, contentType: String = "application/json; charset=utf-8",
         headers: [(String, String)] = []) {
        self.status = status
        self.json = json
        self.raw = raw
        self.contentType = contentType
        self.headers = headers
    }

    static func json(_ value: SandboxJSON, status: Int = 200, link: String? = nil) -> SandboxReply {
        SandboxReply(status: status, json: value, headers: link.map { [("Link", $0)] } ?? [])
    }

    var bodyBytes: [UInt8] { raw ?? json?.bytes ?? [] }

    var response: HTTPResponse {
        var headers = HTTPHeaders()
        let body = status == 304 ? [] : bodyBytes
        if status != 304 { headers.add(name: "Content-Type", value: contentType) }
        for (name, value) in self.headers { headers.add(name: name, value: value) }
        return HTTPResponse(status: HTTPStatus(code: status), headers: headers, body: .bytes(body))
    }
}
