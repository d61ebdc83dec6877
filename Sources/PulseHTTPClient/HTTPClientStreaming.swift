import PulseHTTP
import PulseSystem
import Synchronization

/// A response whose body is read as it arrives (`HTTPClient.stream`).
public struct HTTPClientStreamingResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var url: ClientURL
    /// The body length the server announced (`Content-Length`), nil for chunked or
    /// close-delimited bodies.
    public var contentLength: Int?
    /// False for responses that carry no body at all (HEAD, 204, 304, 1xx).
    public var hasBody: Bool
    /// Read it to the end (or call `cancel()`): the connection goes back to the pool only then.
    public let body: HTTPClientResponseBody
}

/// The body of a streamed response: pieces as they arrive, undecoded. One consumer only.
/// Each piece must arrive within `timeouts.request` of asking for it. Reading to the end
/// returns the connection to the pool; `cancel()` or dropping the body early closes it.
public final class HTTPClientResponseBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    private struct State {
        var cursor: HTTPClientConnection.BodyCursor
        var done = false
    }

    private let client: HTTPClient
    private let connection: HTTPClientConnection
    private let head: ClientResponseHead
    private let closeDelimited: Bool
    private let readTimeout: Duration
    private let state: Mutex<State>

    init(client: HTTPClient, connection: HTTPClientConnection, head: ClientResponseHead, cursor: HTTPClientConnection.BodyCursor,
         readTimeout: Duration) {
        self.client = client
        self.connection = connection
        self.head = head
        closeDelimited = if case .close = cursor { true } else { false }
        self.readTimeout = readTimeout
        state = Mutex(State(cursor: cursor))
        if case .done = cursor { finish(reusable: connection.finished(head, closeDelimited: false)) }
    }

    deinit { cancel() }

    /// The next piece, nil at the end.
    public func next() async throws(HTTPClientError) -> [UInt8]? {
        guard var cursor = state.withLock({ $0.done ? nil : $0.cursor }) else { return nil }
        do {
            let piece = try await connection.nextBodyPiece(&cursor, limit: Int.max, reportedLimit: Int.max,
                                                           deadline: monotonicNanos() &+ readTimeout.nanoseconds, timeout: .requestTimeout)
            state.withLock { $0.cursor = cursor }
            if piece == nil { finish(reusable: connection.finished(head, closeDelimited: closeDelimited)) }
            return piece
        } catch {
            finish(reusable: false)
            throw (error as? HTTPClientError) ?? .io("\(error)")
        }
    }

    /// Reads the rest into memory, failing with `responseTooLarge` past `limit` bytes.
    public func collect(upTo limit: Int) async throws(HTTPClientError) -> [UInt8] {
        var all: [UInt8] = []
        while let piece = try await next() {
            all += piece
            if all.count > limit {
                cancel()
                throw .responseTooLarge(limit: limit)
            }
        }
        return all
    }

    /// Stops reading; an unfinished body's connection is closed, not pooled.
    public func cancel() { finish(reusable: false) }

    private func finish(reusable: Bool) {
        let first = state.withLock { s -> Bool in
            defer { s.done = true }
            return !s.done
        }
        if first { client.release(connection, reusable: reusable) }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let body: HTTPClientResponseBody
        public mutating func next() async throws -> [UInt8]? { try await body.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }
}

extension HTTPClient {
    /// Sends `request` and returns once the response head has arrived; the body is read
    /// through `response.body`. No redirects are followed and nothing is decoded (no
    /// `Accept-Encoding` is added): for proxies and large downloads.
    public func stream(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientStreamingResponse {
        let overallDeadline = request.overallDeadline(configuration)
        let url = try ClientURL(request.url)
        let bytes = try serialize(method: request.method, url: url, headers: request.headers, body: request.body, offerGzip: false)
        let maximumHeadBytes = configuration.maximumHeadBytes
        let ((head, cursor), connection) = try await onPooledConnection(url: url, method: request.method, overallDeadline: overallDeadline) {
            connection, deadline, timeout throws(HTTPClientConnection.Failure) in
            var receivedAnything = false
            do {
                return try await connection.send(bytes, method: request.method, maximumHeadBytes: maximumHeadBytes, deadline: deadline,
                                                 timeout: timeout) { receivedAnything = true }
            } catch {
                throw HTTPClientConnection.Failure(error: (error as? HTTPClientError) ?? .io("\(error)"), receivedAnything: receivedAnything)
            }
        }
        let length: Int? = if case .length(let n) = cursor { n } else { nil }
        let hasBody = if case .done = cursor { false } else { true }
        let body = HTTPClientResponseBody(client: self, connection: connection, head: head, cursor: cursor,
                                          readTimeout: configuration.timeouts.request)
        return HTTPClientStreamingResponse(status: HTTPStatus(code: head.status, reasonPhrase: head.reason), headers: head.headers,
                                           url: url, contentLength: length, hasBody: hasBody, body: body)
    }
}
