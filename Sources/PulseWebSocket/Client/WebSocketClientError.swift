/// Why a WebSocket client could not connect or lost its connection.
public enum WebSocketClientError: Error, Equatable, Sendable, CustomStringConvertible {
    case connectFailed(String)
    /// The server's answer to the upgrade request was not a valid 101 for our request.
    case handshakeFailed(String)
    /// The connection is closed (locally or by the peer).
    case closed(WebSocketCloseCode)

    public var description: String {
        switch self {
        case .connectFailed(let why): return "WebSocket connect failed: \(why)"
        case .handshakeFailed(let why): return "WebSocket handshake failed: \(why)"
        case .closed(let code): return "WebSocket closed (\(code))"
        }
    }
}
