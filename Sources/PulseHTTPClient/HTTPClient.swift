import PulseHTTP
import PulseSystem
import Synchronization

/// An HTTP/1.1 client over Pulse's own event-loop sockets, with TLS through OpenSSL.
///
/// - Non-blocking: sockets are driven by epoll readiness on an event loop; a waiting request
///   is a suspended task, not a parked thread.
/// - Keep-alive pool per origin with limits and an idle timeout.
/// - TLS: certificate and host-name verification always on (system trust store or a CA file).
/// - Connect, per-request and overall timeouts; redirects (with `Authorization` and `Cookie`
///   dropped when the origin changes); gzip decoding; chunked and length-framed bodies;
///   a response size limit. Every failure is an `HTTPClientError`.
///
/// ```swift
/// let client = try HTTPClient()
/// let response = try await client.get("http://127.0.0.1:4000/.well-known/jwks.json")
/// ```
public final class HTTPClient: Sendable {
    public let configuration: HTTPClientConfiguration
    private let pool: ConnectionPool
    private let loop: EventLoop
    /// The event loop driving this client's sockets. Callers making many calls may run them
    /// with `withTaskExecutorPreference(client.eventLoop)`: readiness then resumes the task on
    /// the loop thread itself, saving a thread hop per wait.
    public var eventLoop: EventLoop { loop }
    private let tlsContext: Mutex<TLSClientContext?>

    /// The loop every client shares unless given one (a client needs little CPU; the loop
    /// thread only runs readiness callbacks).
    private static let sharedLoops: Result<EventLoopGroup, SystemError> = Result { () throws(SystemError) in try EventLoopGroup(count: 1) }

    /// - Parameter eventLoop: the loop that drives this client's sockets; default: a shared one.
    public init(configuration: HTTPClientConfiguration = .init(), eventLoop: EventLoop? = nil) throws(HTTPClientError) {
        self.configuration = configuration
        if let eventLoop {
            loop = eventLoop
        } else {
            switch Self.sharedLoops {
            case .success(let group): loop = group.loops[0]
            case .failure(let error): throw .io("cannot start the client event loop: \(error)")
            }
        }
        pool = ConnectionPool(configuration: configuration.pool, loop: loop)
        // A bad CA file is a configuration error: report it now, not on the first request.
        tlsContext = Mutex(configuration.tls.trustedCAFile == nil ? nil : try TLSClientContext(configuration.tls))
    }

    /// Connections opened and pooled connections reused so far.
    public var statistics: (opened: Int, reused: Int) { pool.statistics }

    /// Closes idle connections and refuses new requests (in-flight ones finish).
    public func shutdown() { pool.shutdown() }

    public func get(_ url: String, headers: HTTPHeaders = HTTPHeaders()) async throws(HTTPClientError) -> HTTPClientResponse {
        try await execute(HTTPClientRequest(method: .get, url: url, headers: headers))
    }

    public func post(_ url: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8]) async throws(HTTPClientError) -> HTTPClientResponse {
        try await execute(HTTPClientRequest(method: .post, url: url, headers: headers, body: body))
    }

    /// Sends `request`, following redirects, and returns the final response.
    public func execute(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        let overallDeadline = request.overallDeadline(configuration)
        var url = try ClientURL(request.url)
        var method = request.method
        var headers = request.headers
        var body = request.body
        let redirectLimit = request.maximumRedirects ?? configuration.maximumRedirects
        var redirects = 0
        while true {
            let response = try await send(method: method, url: url, headers: headers, body: body, overallDeadline: overallDeadline)
            guard [301, 302, 303, 307, 308].contains(response.status.code), redirectLimit > 0,
                let location = response.headers["Location"]
            else {
                return HTTPClientResponse(status: response.status, headers: response.headers, body: response.body, url: url,
                                          redirects: redirects)
            }
            guard redirects < redirectLimit else { throw .tooManyRedirects(redirectLimit) }
            redirects += 1
            let next = try url.resolving(location)
            if next.origin != url.origin {
                // Credentials are for the origin they were given to (RFC 9110 §15.4).
                for name in ["Authorization", "Cookie", "Proxy-Authorization"] { headers.remove(name: name) }
            }
            let code = response.status.code
            if code == 303 || ((code == 301 || code == 302) && method == .post) {
                if method != .head { method = .get }
                body = []
                for name in ["Content-Type", "Content-Encoding", "Content-Language"] { headers.remove(name: name) }
            }
            url = next
        }
    }

    /// One request/response on a pooled connection.
    private func send(method: HTTPMethod, url: ClientURL, headers: HTTPHeaders, body: [UInt8],
                      overallDeadline: UInt64) async throws(HTTPClientError) -> HTTPClientResponse {
        let requestBytes = try serialize(method: method, url: url, headers: headers, body: body)
        let (exchange, connection) = try await onPooledConnection(url: url, method: method, overallDeadline: overallDeadline) {
            connection, deadline, timeout throws(HTTPClientConnection.Failure) in
            try await connection.exchange(requestBytes, method: method, maximumHeadBytes: configuration.maximumHeadBytes,
                                          maximumBodyBytes: configuration.maximumResponseBytes, deadline: deadline, timeout: timeout)
        }
        pool.release(connection, reusable: exchange.reusable)
        return try finish(exchange, url: url)
    }

    /// Runs `operation` on a pooled connection and returns its result with the connection
    /// (the caller releases it). On failure the connection is closed; when a reused one fails
    /// before any response byte (the server closed it meanwhile), an idempotent request is
    /// retried once on a fresh connection.
    func onPooledConnection<T>(
        url: ClientURL, method: HTTPMethod, overallDeadline: UInt64,
        _ operation: (HTTPClientConnection, UInt64, HTTPClientError) async throws(HTTPClientConnection.Failure) -> T
    ) async throws(HTTPClientError) -> (T, HTTPClientConnection) {
        let idempotent = Self.idempotentMethods.contains(method)
        var attempt = 0
        while true {
            attempt += 1
            if Task.isCancelled { throw .cancelled }
            let connection: HTTPClientConnection
            let reused: Bool
            do {
                (connection, reused) = try await pool.acquire(url.origin, deadline: overallDeadline) {
                    try await self.connect(url, overallDeadline: overallDeadline)
                }
            } catch let error as HTTPClientError {
                throw error == .connectTimeout && monotonicNanos() >= overallDeadline ? .overallTimeout : error
            } catch {
                throw .io("\(error)")
            }
            let (deadline, timeout) = Self.earlier(monotonicNanos() &+ configuration.timeouts.request.nanoseconds, .requestTimeout,
                                                   overallDeadline, .overallTimeout)
            do throws(HTTPClientConnection.Failure) {
                return (try await operation(connection, deadline, timeout), connection)
            } catch {
                pool.release(connection, reusable: false)
                if reused && idempotent && attempt == 1 && !error.receivedAnything && error.error.isStaleConnectionSymptom { continue }
                throw error.error
            }
        }
    }

    /// Releases a connection whose response body was read to the end (or abandoned).
    func release(_ connection: HTTPClientConnection, reusable: Bool) { pool.release(connection, reusable: reusable) }

    func connect(_ url: ClientURL, overallDeadline: UInt64) async throws -> HTTPClientConnection {
        let (deadline, _) = Self.earlier(monotonicNanos() &+ configuration.timeouts.connect.nanoseconds, .connectTimeout,
                                         overallDeadline, .overallTimeout)
        let socket = try await LoopSocket.connect(host: url.host, port: url.port, loop: loop, deadline: deadline)
        let transport: any ClientTransport
        switch url.scheme {
        case .http: transport = PlainTransport(socket: socket)
        case .https:
            let context: TLSClientContext
            do { context = try tls() } catch {
                socket.close()
                throw error
            }
            transport = try await TLSTransport.connect(socket: socket, host: url.host, context: context, deadline: deadline)
        }
        return HTTPClientConnection(origin: url.origin, transport: transport)
    }

    /// The TLS context, made on first use (loading the system store costs a few ms).
    private func tls() throws(HTTPClientError) -> TLSClientContext {
        try tlsContext.withLock { context throws(HTTPClientError) -> TLSClientContext in
            if let context { return context }
            let made = try TLSClientContext(configuration.tls)
            context = made
            return made
        }
    }

    static func earlier(_ a: UInt64, _ aError: HTTPClientError, _ b: UInt64, _ bError: HTTPClientError) -> (UInt64, HTTPClientError) {
        a <= b ? (a, aError) : (b, bError)
    }

    /// Header names the client writes itself (built once, not per request).
    private static let ownedHeaders: Set<String> = HopByHopHeaders.names.union(["host", "content-length"])
    private static let methodsWithBody: Set<HTTPMethod> = [.post, .put, .patch]
    private static let idempotentMethods: Set<HTTPMethod> = [.get, .head, .put, .delete, .options]

    func serialize(method: HTTPMethod, url: ClientURL, headers: HTTPHeaders, body: [UInt8], upgrade: String? = nil,
                   offerGzip: Bool? = nil) throws(HTTPClientError) -> [UInt8] {
        guard !method.rawValue.isEmpty, method.rawValue.utf8.allSatisfy(HTTPRequestParser.isTokenByte) else {
            throw .invalidURL("bad method \(method)")
        }
        var head = "\(method.rawValue) \(url.target) HTTP/1.1\r\nHost: \(url.hostHeader)\r\n"
        var hasUserAgent = false
        var hasAcceptEncoding = false
        for field in headers {
            let name = field.name.lowercased()
            if Self.ownedHeaders.contains(name) { continue }
            guard !field.name.isEmpty, field.name.utf8.allSatisfy(HTTPRequestParser.isTokenByte),
                !field.value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 })
            else { throw .invalidURL("bad header field \(field.name)") }
            if name == "user-agent" { hasUserAgent = true }
            if name == "accept-encoding" { hasAcceptEncoding = true }
            head += "\(field.name): \(field.value)\r\n"
        }
        if let upgrade {
            guard !upgrade.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { throw .invalidURL("bad Upgrade value") }
            head += "Connection: Upgrade\r\nUpgrade: \(upgrade)\r\n"
        }
        if !hasUserAgent { head += "User-Agent: \(configuration.userAgent)\r\n" }
        if (offerGzip ?? configuration.decompress) && !hasAcceptEncoding { head += "Accept-Encoding: gzip\r\n" }
        if !body.isEmpty || Self.methodsWithBody.contains(method) { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    func finish(_ exchange: HTTPClientConnection.Exchange, url: ClientURL) throws(HTTPClientError) -> HTTPClientResponse {
        var headers = exchange.head.headers
        var body = exchange.body
        if configuration.decompress, let encoding = headers["Content-Encoding"]?.lowercased().trimmingCharacters(in: " \t"),
            encoding == "gzip" || encoding == "x-gzip" {
            guard let decoded = Gzip.decompress(body, limit: configuration.maximumResponseBytes) else {
                throw .decompressionFailed("corrupt gzip data, or more than \(configuration.maximumResponseBytes) bytes decoded")
            }
            body = decoded
            headers.remove(name: "Content-Encoding")
            headers.remove(name: "Content-Length")
        }
        return HTTPClientResponse(status: HTTPStatus(code: exchange.head.status, reasonPhrase: exchange.head.reason),
                                  headers: headers, body: body, url: url, redirects: 0)
    }
}

extension HTTPClientError {
    /// How a pooled connection the server already closed fails on first use.
    var isStaleConnectionSymptom: Bool {
        switch self {
        case .connectionClosed, .io: return true
        default: return false
        }
    }
}
