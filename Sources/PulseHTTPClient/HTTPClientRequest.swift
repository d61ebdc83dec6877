import Foundation
import PulseHTTP
import PulseSystem

/// A request for `HTTPClient.execute`.
public struct HTTPClientRequest: Sendable {
    public var method: HTTPMethod
    public var url: String
    /// Sent as given, except the fields the client owns: `Host`, `Content-Length`,
    /// `Transfer-Encoding`, `Connection` and the other hop-by-hop fields.
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Overrides `configuration.maximumRedirects` for this call (0: return the 3xx itself).
    public var maximumRedirects: Int?
    /// Overrides `configuration.timeouts.overall` for this call.
    public var overallTimeout: Duration?

    public init(method: HTTPMethod = .get, url: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
                maximumRedirects: Int? = nil, overallTimeout: Duration? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.maximumRedirects = maximumRedirects
        self.overallTimeout = overallTimeout
    }

    /// The monotonic deadline of the whole call.
    func overallDeadline(_ configuration: HTTPClientConfiguration) -> UInt64 {
        monotonicNanos() &+ (overallTimeout ?? configuration.timeouts.overall).nanoseconds
    }
}

/// A complete response.
public struct HTTPClientResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    /// The body, gzip-decoded when the client decompresses (then `Content-Encoding` and
    /// `Content-Length` are removed from `headers`).
    public var body: [UInt8]
    /// The URL that produced this response (after redirects).
    public var url: ClientURL
    /// Redirects followed to get here.
    public var redirects: Int

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// Decodes the body as JSON.
    public func decode<T: Decodable>(_ type: T.Type, decoder: JSONDecoder = JSONDecoder()) throws -> T {
        try decoder.decode(type, from: Data(body))
    }
}

/// Header fields that describe one connection, never forwarded (RFC 9110 §7.6.1).
public enum HopByHopHeaders {
    public static let names: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade",
    ]

    /// `headers` without hop-by-hop fields and without the fields `Connection` lists.
    public static func removing(from headers: HTTPHeaders) -> HTTPHeaders {
        let listed = Set(headers.tokens(for: "Connection").map { $0.lowercased() })
        return HTTPHeaders(headers.filter { field in
            let name = field.name.lowercased()
            return !names.contains(name) && !listed.contains(name)
        }.map { ($0.name, $0.value) })
    }
}
