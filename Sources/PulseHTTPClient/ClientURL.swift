/// A parsed `http://` or `https://` URL: what the client needs to connect and to write the
/// request line. Userinfo and fragments are refused / dropped.
public struct ClientURL: Sendable, Hashable, CustomStringConvertible {
    public enum Scheme: String, Sendable { case http, https }

    public var scheme: Scheme
    /// Host name or IP literal (IPv6 without brackets).
    public var host: String
    public var port: Int
    /// Path and query, always starting with `/`.
    public var target: String

    /// The pool key: connections are shared per scheme, host and port.
    public var origin: Origin { Origin(scheme: scheme, host: host.lowercased(), port: port) }

    public struct Origin: Sendable, Hashable, CustomStringConvertible {
        public var scheme: Scheme
        public var host: String
        public var port: Int
        public var description: String { "\(scheme.rawValue)://\(ClientURL.hostForHeader(host)):\(port)" }
    }

    public init(scheme: Scheme, host: String, port: Int? = nil, target: String = "/") {
        self.scheme = scheme
        self.host = host
        self.port = port ?? (scheme == .https ? 443 : 80)
        self.target = target.hasPrefix("/") ? target : "/" + target
    }

    public init(_ text: String) throws(HTTPClientError) {
        let lower = text.lowercased()
        let rest: Substring
        if lower.hasPrefix("http://") {
            scheme = .http
            rest = text.dropFirst(7)
        } else if lower.hasPrefix("https://") {
            scheme = .https
            rest = text.dropFirst(8)
        } else {
            throw .invalidURL(text)
        }
        guard !text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { throw .invalidURL(text) }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if let hash = target.firstIndex(of: "#") { target = String(target[..<hash]) }
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        guard !authority.isEmpty, !authority.contains("@") else { throw .invalidURL(text) }
        var hostPart = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL(text) }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidURL(text) }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw .invalidURL(text) }
        host = String(hostPart)
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { throw .invalidURL(text) }
            port = p
        } else {
            port = scheme == .https ? 443 : 80
        }
        self.target = target
    }

    /// Resolves a `Location` header value against this URL (absolute, scheme-relative,
    /// absolute-path or relative-path references).
    public func resolving(_ reference: String) throws(HTTPClientError) -> ClientURL {
        let lower = reference.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") { return try ClientURL(reference) }
        if reference.hasPrefix("//") { return try ClientURL(scheme.rawValue + ":" + reference) }
        var copy = self
        if reference.hasPrefix("/") {
            copy.target = reference
        } else {
            let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
            let base = path.hasSuffix("/") ? path : String(path[...(path.lastIndex(of: "/") ?? path.startIndex)])
            copy.target = base + reference
        }
        if let hash = copy.target.firstIndex(of: "#") { copy.target = String(copy.target[..<hash]) }
        guard !copy.target.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { throw .invalidURL(reference) }
        return copy
    }

    /// `Host` header value: the port only when it is not the scheme's default.
    public var hostHeader: String {
        let h = Self.hostForHeader(host)
        return port == (scheme == .https ? 443 : 80) ? h : "\(h):\(port)"
    }

    static func hostForHeader(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }

    public var description: String { "\(scheme.rawValue)://\(hostHeader)\(target)" }
}
