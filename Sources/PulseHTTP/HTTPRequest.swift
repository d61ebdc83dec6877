import PulseSystem

/// One query item from the request target, percent-decoded.
public struct HTTPQueryItem: Sendable, Hashable {
    public var name: String
    public var value: String?
    public init(name: String, value: String?) {
        self.name = name
        self.value = value
    }
}

/// A complete HTTP request: head and (bounded) body.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The request target as sent (path and query, still percent-encoded).
    public var target: String
    /// The path part of the target, percent-decoded (e.g. `/files/a b.txt`).
    public var path: String
    /// Query items in order.
    public var queryItems: [HTTPQueryItem]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var version: HTTPVersion
    /// The client's address (nil for requests built in tests).
    public var remoteAddress: SocketAddress?
    /// Parameters captured by the router from the path pattern (`:id` → `["id": "42"]`).
    public var pathParameters: [String: String]
    /// Typed per-request values shared across middleware and the server.
    public let context: RequestContext

    public init(
        method: HTTPMethod,
        target: String,
        headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [],
        version: HTTPVersion = .http1_1,
        remoteAddress: SocketAddress? = nil,
        context: RequestContext = RequestContext()
    ) {
        self.method = method
        self.target = target
        let (rawPath, rawQuery) = HTTPRequest.split(target: target)
        self.path = PercentDecoding.decode(rawPath) ?? rawPath
        self.queryItems = rawQuery.map(HTTPRequest.parseQuery) ?? []
        self.headers = headers
        self.body = body
        self.version = version
        self.remoteAddress = remoteAddress
        self.pathParameters = [:]
        self.context = context
    }

    /// The first query value for `name`.
    public func query(_ name: String) -> String? { queryItems.first { $0.name == name }?.value ?? nil }

    /// The request id, when `RequestIDMiddleware` ran.
    public var requestID: String? { context[RequestIDKey.self] }

    /// The matched route pattern, when a `Router` handled the request.
    public var routePattern: String? { context[RoutePatternKey.self] }

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    static func split(target: String) -> (path: String, query: String?) {
        var path = Substring(target)
        // Absolute-form (proxies): keep only the path.
        if path.hasPrefix("http://") || path.hasPrefix("https://") {
            let afterScheme = path[path.index(path.firstIndex(of: ":")!, offsetBy: 3)...]
            path = afterScheme.firstIndex(of: "/").map { afterScheme[$0...] } ?? "/"
        }
        if let q = path.firstIndex(of: "?") {
            return (String(path[..<q]), String(path[path.index(after: q)...]))
        }
        return (String(path), nil)
    }

    static func parseQuery(_ query: String) -> [HTTPQueryItem] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = PercentDecoding.decode(String(parts[0]), plusAsSpace: true) ?? String(parts[0])
            let value = parts.count > 1 ? (PercentDecoding.decode(String(parts[1]), plusAsSpace: true) ?? String(parts[1])) : nil
            return HTTPQueryItem(name: name, value: value)
        }
    }
}

/// Percent-decoding of URL components (RFC 3986 §2.1).
package enum PercentDecoding {
    /// Decodes `%XX` escapes; nil when an escape is malformed or the result is not UTF-8.
    package static func decode(_ text: String, plusAsSpace: Bool = false) -> String? {
        if !text.utf8.contains(0x25) && !(plusAsSpace && text.utf8.contains(0x2B)) { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == 0x25 {
                guard let h = iterator.next().flatMap(hex), let l = iterator.next().flatMap(hex) else { return nil }
                out.append(h << 4 | l)
            } else if plusAsSpace && byte == 0x2B {
                out.append(0x20)
            } else {
                out.append(byte)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}

extension HTTPRequest {
    /// The value of cookie `name` from the `Cookie` headers, if the request carries it.
    public func cookie(named name: String) -> String? {
        let prefix = name + "="
        for header in headers.values(for: "Cookie") {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: " \t")
                if pair.hasPrefix(prefix) { return String(pair.dropFirst(prefix.count)) }
            }
        }
        return nil
    }
}
