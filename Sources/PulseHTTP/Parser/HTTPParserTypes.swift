// Pure Swift (standard library only): this file and HTTPRequestParser.swift compile standalone
// for the libFuzzer target in fuzz/http.

/// Bounds the parser enforces before buffering anything (also `HTTPServerConfiguration.Limits`).
public struct HTTPParserLimits: Sendable, Equatable {
    /// Longest request line (method, target, version) in bytes; longer → 414.
    public var maxRequestLineLength: Int
    /// Largest header section (all field lines, and separately all trailer lines) in bytes → 431.
    public var maxHeaderBytes: Int
    /// Most header fields in one request → 431.
    public var maxHeaderCount: Int
    /// Largest request body (Content-Length or the sum of chunk sizes) → 413.
    public var maxBodyBytes: Int

    public init(maxRequestLineLength: Int = 8192, maxHeaderBytes: Int = 16384, maxHeaderCount: Int = 100, maxBodyBytes: Int = 1 << 20) {
        self.maxRequestLineLength = maxRequestLineLength
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}

/// How the body of a request is framed (RFC 9112 §6.3).
package enum HTTPBodyFraming: Equatable, Sendable {
    case none
    case length(Int)
    case chunked
}

/// A parsed request head: the request line and the header fields, already validated.
package struct HTTPParsedHead: Sendable {
    package var method: String
    package var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1 (and later 1.x, which are handled as 1.1).
    package var minorVersion: Int
    /// Field lines in order, names as sent.
    package var headers: [(name: String, value: String)]
    package var framing: HTTPBodyFraming
    /// Whether the client allows the connection to stay open after this request.
    package var keepAlive: Bool
    /// `Expect: 100-continue` was sent.
    package var expectContinue: Bool
    /// An `Expect` value other than 100-continue was sent (answer 417).
    package var unsupportedExpectation: Bool
}

/// What one parse step produced.
package enum HTTPParserEvent: Sendable {
    case head(HTTPParsedHead)
    case body([UInt8])
    case end
}

/// A request the parser refuses, with the status to answer before closing the connection.
package struct HTTPParserError: Error, Sendable, Equatable {
    /// 400, 413, 414, 431, 501 or 505.
    package var status: Int
    /// A short reason, safe to show to the client.
    package var reason: String

    package init(_ status: Int, _ reason: String) {
        self.status = status
        self.reason = reason
    }
}
