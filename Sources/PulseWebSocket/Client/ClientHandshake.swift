/// The client half of the opening handshake (RFC 6455 §4.1) as pure functions.
enum ClientHandshake {
    /// The upgrade request text.
    static func request(host: String, port: Int, path: String, key: String, extensions: String?, headers: [(String, String)]) -> [UInt8] {
        var text = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        text += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        if let extensions { text += "Sec-WebSocket-Extensions: \(extensions)\r\n" }
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// Position just after the blank line ending the response head, nil if not there yet.
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 3..<bytes.count where bytes[i] == 0x0A && bytes[i - 1] == 0x0D && bytes[i - 2] == 0x0A && bytes[i - 3] == 0x0D {
            return i + 1
        }
        return nil
    }

    /// Validates the response head; returns the negotiated deflate parameters.
    static func validate(head: [UInt8], key: String, deflate: PerMessageDeflateOptions?) throws(WebSocketClientError) -> PerMessageDeflateParameters? {
        let lines = String(decoding: head, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: true)
        guard let status = lines.first else { throw .handshakeFailed("empty response") }
        let parts = status.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1] == "101" else {
            throw .handshakeFailed("expected 101, got \(status.prefix(64))")
        }
        var headers: [String: [String]] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw .handshakeFailed("malformed header line") }
            headers[line[..<colon].lowercased(), default: []].append(String(line[line.index(after: colon)...]).trimmingSpaces)
        }
        func has(_ name: String, token: String) -> Bool {
            (headers[name] ?? []).flatMap { $0.split(separator: ",") }.contains { String($0).trimmingSpaces.lowercased() == token }
        }
        guard has("upgrade", token: "websocket") else { throw .handshakeFailed("missing Upgrade: websocket") }
        guard has("connection", token: "upgrade") else { throw .handshakeFailed("missing Connection: upgrade") }
        guard headers["sec-websocket-accept"] == [WebSocketHandshake.acceptValue(forKey: key)] else {
            throw .handshakeFailed("wrong Sec-WebSocket-Accept")
        }
        let extensions = headers["sec-websocket-extensions"] ?? []
        guard let deflate else {
            if !extensions.isEmpty { throw .handshakeFailed("server enabled an extension we did not offer") }
            return nil
        }
        do {
            return try PerMessageDeflateParameters.acceptResponse(extensions, options: deflate)
        } catch {
            throw .handshakeFailed(error.reason)
        }
    }
}
