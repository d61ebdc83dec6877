import PulseHTTP

/// A parsed response status line and header block.
struct ClientResponseHead: Sendable {
    var version: (major: Int, minor: Int)
    var status: Int
    var reason: String
    var headers: HTTPHeaders

    /// How the body is delimited (RFC 9112 §6.3).
    enum Framing: Equatable {
        case none
        case length(Int)
        case chunked
        /// Until the server closes the connection.
        case close
    }

    /// Parses `HTTP/1.x NNN reason\r\n(field: value\r\n)*` (the head without its final CRLF).
    init(parsing bytes: ArraySlice<UInt8>) throws(HTTPClientError) {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line -> ArraySlice<UInt8> in
            line.last == UInt8(ascii: "\r") ? line.dropLast() : line
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let statusLine = lines.first.map({ String(decoding: $0, as: UTF8.self) }) else { throw .malformedResponse("empty head") }
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].count == 8, parts[0].hasPrefix("HTTP/1."),
            let minor = Int(parts[0].dropFirst(7)), parts[1].count == 3, let code = Int(parts[1]), (100...599).contains(code)
        else { throw .malformedResponse("bad status line") }
        version = (1, minor)
        status = code
        reason = parts.count > 2 ? String(parts[2]) : ""
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            // obs-fold (a line starting with whitespace) is refused, as RFC 9112 §5.2 allows.
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                line.first != UInt8(ascii: " "), line.first != UInt8(ascii: "\t")
            else { throw .malformedResponse("bad header line") }
            let name = line[..<colon]
            guard name.allSatisfy(HTTPRequestParser.isTokenByte) else { throw .malformedResponse("bad header name") }
            let value = String(decoding: line[line.index(after: colon)...], as: UTF8.self).trimmingCharacters(in: " \t")
            headers.add(name: String(decoding: name, as: UTF8.self), value: value)
        }
        self.headers = headers
    }

    /// Body framing for a response to `method`; throws on conflicting lengths.
    func framing(method: HTTPMethod) throws(HTTPClientError) -> Framing {
        if method == .head || status == 204 || status == 304 || (100..<200).contains(status) { return .none }
        let codings = headers.tokens(for: "Transfer-Encoding")
        if !codings.isEmpty {
            return codings.last?.lowercased() == "chunked" ? .chunked : .close
        }
        let lengths = headers.values(for: "Content-Length").flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: " \t") }
        if let first = lengths.first {
            guard lengths.allSatisfy({ $0 == first }), !first.isEmpty, first.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                first.count <= 15, let n = Int(first)
            else { throw .malformedResponse("bad Content-Length") }
            return .length(n)
        }
        return .close
    }

    /// Whether the connection may carry another request after this response.
    var keepAlive: Bool {
        let connection = headers.tokens(for: "Connection").map { $0.lowercased() }
        if connection.contains("close") { return false }
        if version.minor >= 1 { return true }
        return connection.contains("keep-alive")
    }
}
