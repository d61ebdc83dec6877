/// Why an HTTP client call failed. Each case names one cause so callers (the gateway's
/// 502/504 mapping, the ETL's retry policy) can react without parsing text.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL is not `http(s)://host[:port]/…` or has parts the client does not support.
    case invalidURL(String)
    /// Name resolution failed.
    case resolveFailed(host: String)
    /// TCP connect was refused or failed (`errno` text in `reason`).
    case connectFailed(host: String, port: Int, reason: String)
    /// No connection within `timeouts.connect` (TCP + TLS handshake).
    case connectTimeout
    /// No complete response within `timeouts.request` of sending the request.
    case requestTimeout
    /// The whole call (pool wait, redirects, retries) exceeded `timeouts.overall`.
    case overallTimeout
    /// No pooled connection became free within the overall deadline.
    case poolExhausted
    /// The TLS handshake failed; `reason` is OpenSSL's verify result or error string
    /// (expired certificate, host name mismatch, unknown issuer, …).
    case tlsHandshakeFailed(reason: String)
    /// TLS could not be set up (bad CA file, OpenSSL error).
    case tlsConfiguration(String)
    /// The server closed the connection before the response was complete.
    case connectionClosed
    /// A read or write failed (`errno` text).
    case io(String)
    /// The response violates HTTP/1.1 (bad status line, header, chunk size, framing).
    case malformedResponse(String)
    /// The (decoded) body exceeded `maximumResponseBytes`, or the head exceeded its limit.
    case responseTooLarge(limit: Int)
    /// More than `maximumRedirects` redirects.
    case tooManyRedirects(Int)
    /// The gzip body could not be decoded.
    case decompressionFailed(String)
    /// The client was shut down.
    case shutdown
    /// The calling task was cancelled.
    case cancelled

    public var description: String {
        switch self {
        case .invalidURL(let url): return "invalid URL: \(url)"
        case .resolveFailed(let host): return "cannot resolve host \(host)"
        case .connectFailed(let host, let port, let reason): return "connect to \(host):\(port) failed: \(reason)"
        case .connectTimeout: return "connect timed out"
        case .requestTimeout: return "request timed out"
        case .overallTimeout: return "overall deadline exceeded"
        case .poolExhausted: return "no pooled connection became free in time"
        case .tlsHandshakeFailed(let reason): return "TLS handshake failed: \(reason)"
        case .tlsConfiguration(let reason): return "TLS configuration error: \(reason)"
        case .connectionClosed: return "connection closed before the response was complete"
        case .io(let reason): return "I/O error: \(reason)"
        case .malformedResponse(let reason): return "malformed response: \(reason)"
        case .responseTooLarge(let limit): return "response exceeds \(limit) bytes"
        case .tooManyRedirects(let n): return "more than \(n) redirects"
        case .decompressionFailed(let reason): return "gzip decoding failed: \(reason)"
        case .shutdown: return "HTTP client is shut down"
        case .cancelled: return "request cancelled"
        }
    }

    /// True for failures that happen before a server could have acted on the request
    /// (safe to retry on another connection or report as "upstream down").
    public var isConnectFailure: Bool {
        switch self {
        case .resolveFailed, .connectFailed, .connectTimeout, .tlsHandshakeFailed: return true
        default: return false
        }
    }

    /// True for timeouts of any kind (the gateway answers 504 for these).
    public var isTimeout: Bool {
        switch self {
        case .connectTimeout, .requestTimeout, .overallTimeout, .poolExhausted: return true
        default: return false
        }
    }
}
