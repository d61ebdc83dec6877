import COpenSSL

/// Opening-handshake helpers (RFC 6455 §4) shared by server and client.
public enum WebSocketHandshake {
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// `Sec-WebSocket-Accept` for a client key: base64(SHA-1(key + GUID)).
    public static func acceptValue(forKey key: String) -> String {
        let input = Array((key + guid).utf8)
        var digest = [UInt8](repeating: 0, count: 20)
        _ = input.withUnsafeBufferPointer { SHA1($0.baseAddress, $0.count, &digest) }
        return Base64.encode(digest)
    }

    /// A fresh random `Sec-WebSocket-Key` (16 random bytes, base64).
    public static func makeClientKey() -> String {
        var rng = SystemRandomNumberGenerator()
        return Base64.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    /// A key is valid when it is base64 of exactly 16 bytes (§4.2.1 item 5).
    public static func isValidClientKey(_ key: String) -> Bool {
        Base64.decode(key.trimmingSpaces)?.count == 16
    }

    /// What a valid upgrade request asks for.
    public struct UpgradeRequest: Sendable, Equatable {
        public var key: String
        public var extensionOffers: [String]
        public var protocols: [String]
    }

    /// Why an upgrade request is refused, with the HTTP status to answer.
    public struct RequestError: Error, Equatable, Sendable, CustomStringConvertible {
        /// 400, or 426 with `Sec-WebSocket-Version: 13` when the version is wrong.
        public var status: Int
        public var reason: String
        public var description: String { "WebSocket upgrade refused (\(status)): \(reason)" }
    }

    /// Validates an upgrade request (§4.2.1). `httpVersion` is the request line's (major,
    /// minor); `header` returns every value of a header given its lowercase name.
    public static func validate(method: String, httpVersion: (major: Int, minor: Int) = (1, 1),
                                header: (String) -> [String]) throws(RequestError) -> UpgradeRequest {
        guard method == "GET" else { throw RequestError(status: 400, reason: "WebSocket upgrade needs GET") }
        // §4.1: "the HTTP version MUST be at least 1.1"; an HTTP/1.0 peer cannot keep the
        // connection it would be upgrading.
        guard httpVersion.major > 1 || (httpVersion.major == 1 && httpVersion.minor >= 1) else {
            throw RequestError(status: 400, reason: "WebSocket upgrade needs HTTP/1.1 or later")
        }
        func tokens(_ name: String) -> [String] {
            header(name).flatMap { $0.split(separator: ",").map { String($0).trimmingSpaces.lowercased() } }
        }
        guard tokens("upgrade").contains("websocket") else {
            throw RequestError(status: 400, reason: "missing Upgrade: websocket")
        }
        guard tokens("connection").contains("upgrade") else {
            throw RequestError(status: 400, reason: "missing Connection: upgrade")
        }
        guard header("sec-websocket-version").map({ $0.trimmingSpaces }) == ["13"] else {
            throw RequestError(status: 426, reason: "unsupported WebSocket version")
        }
        let keys = header("sec-websocket-key")
        guard keys.count == 1, isValidClientKey(keys[0]) else {
            throw RequestError(status: 400, reason: "bad Sec-WebSocket-Key")
        }
        return UpgradeRequest(
            key: keys[0].trimmingSpaces,
            extensionOffers: header("sec-websocket-extensions"),
            // Subprotocol names are case-sensitive: split but keep their case.
            protocols: header("sec-websocket-protocol").flatMap {
                $0.split(separator: ",").map { String($0).trimmingSpaces }
            })
    }
}
