/// An RFC 9457 problem document, served as `application/problem+json`.
public struct ProblemDetails: Sendable, Equatable, Codable {
    /// A URI naming the problem type (default `about:blank`).
    public var type: String
    /// A short summary; for `about:blank` the status's reason phrase.
    public var title: String
    public var status: Int
    /// A human-readable explanation for this occurrence. Must not contain internals.
    public var detail: String?
    /// A URI for this occurrence (e.g. the request path).
    public var instance: String?

    public init(status: HTTPStatus, type: String = "about:blank", title: String? = nil, detail: String? = nil, instance: String? = nil) {
        self.type = type
        self.title = title ?? status.reasonPhrase
        self.status = status.code
        self.detail = detail
        self.instance = instance
    }

    /// The document as JSON bytes (stable key order).
    public func jsonBytes() -> [UInt8] {
        var out = "{\"type\":\(JSONText.quote(type)),\"title\":\(JSONText.quote(title)),\"status\":\(status)"
        if let detail { out += ",\"detail\":\(JSONText.quote(detail))" }
        if let instance { out += ",\"instance\":\(JSONText.quote(instance))" }
        out += "}"
        return Array(out.utf8)
    }

    /// A response carrying this document.
    public func response(headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var headers = headers
        headers["Content-Type"] = "application/problem+json"
        return HTTPResponse(status: HTTPStatus(code: status), headers: headers, body: .bytes(jsonBytes()))
    }
}

/// An error that becomes a specific HTTP response. Throw it from handlers and middleware;
/// any other error becomes a plain 500 whose body reveals nothing.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPStatus
    /// Shown to the client: say what is wrong with the request, nothing about the server.
    public var detail: String?
    /// Problem type URI (default `about:blank`).
    public var type: String
    /// Extra response headers (e.g. `Allow`, `WWW-Authenticate`, `Retry-After`).
    public var headers: HTTPHeaders

    public init(_ status: HTTPStatus, detail: String? = nil, type: String = "about:blank", headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.detail = detail
        self.type = type
        self.headers = headers
    }

    public var description: String { "HTTPError(\(status.code)\(detail.map { ": " + $0 } ?? ""))" }

    public var problem: ProblemDetails { ProblemDetails(status: status, type: type, detail: detail) }

    public func response(path: String? = nil) -> HTTPResponse {
        var problem = self.problem
        problem.instance = path
        return problem.response(headers: headers)
    }
}

/// JSON string quoting for hand-written documents (no Foundation on the hot error path).
package enum JSONText {
    package static func quote(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 2)
        JSONOutput.appendString(text, escapingSlashes: false, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
