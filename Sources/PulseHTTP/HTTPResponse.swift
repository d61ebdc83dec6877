/// Writes a streamed response body. Each `write` waits while too much is queued unsent
/// (backpressure) and throws once the connection has gone.
public final class HTTPBodyWriter: Sendable {
    private let sink: @Sendable ([UInt8]) async throws -> Void

    package init(sink: @escaping @Sendable ([UInt8]) async throws -> Void) { self.sink = sink }

    public func write(_ bytes: [UInt8]) async throws {
        if bytes.isEmpty { return }
        try await sink(bytes)
    }

    public func write(_ text: String) async throws { try await write(Array(text.utf8)) }
}

/// A response body: bytes known up front (sent with Content-Length) or a stream (sent chunked
/// on HTTP/1.1, close-delimited on HTTP/1.0).
public enum HTTPBody: Sendable {
    case bytes([UInt8])
    case stream(@Sendable (HTTPBodyWriter) async throws -> Void)

    public static var empty: HTTPBody { .bytes([]) }

    /// The bytes of a `.bytes` body (nil for a stream).
    public var bytes: [UInt8]? {
        if case .bytes(let b) = self { return b }
        return nil
    }
}

/// An HTTP response. Set `upgrade` (with status 101) to take the connection over once the head
/// has been written; see `HTTPUpgradeHandler`.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: HTTPBody
    /// Takes over the connection after this response is written (101 Switching Protocols).
    public var upgrade: (any HTTPUpgradeHandler)?

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: HTTPBody = .empty, upgrade: (any HTTPUpgradeHandler)? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.upgrade = upgrade
    }

    /// A response with a UTF-8 text body (`text/plain; charset=utf-8` unless given).
    public static func text(_ text: String, status: HTTPStatus = .ok, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: .bytes(Array(text.utf8)))
    }

    /// A response with raw bytes.
    public static func bytes(_ bytes: [UInt8], status: HTTPStatus = .ok, contentType: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: .bytes(bytes))
    }
}
