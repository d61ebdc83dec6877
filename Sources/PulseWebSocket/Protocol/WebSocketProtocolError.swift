/// Why the protocol layer failed a connection; each case maps to the close code sent.
public struct WebSocketProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    public var closeCode: WebSocketCloseCode
    /// A short constant reason, also sent as the close frame's reason text.
    public var reason: String

    public init(_ closeCode: WebSocketCloseCode, _ reason: String) {
        self.closeCode = closeCode
        self.reason = reason
    }

    public var description: String { "WebSocket protocol error \(closeCode): \(reason)" }

    static func protocolError(_ reason: String) -> Self { .init(.protocolError, reason) }
    static let tooBig = Self(.messageTooBig, "message too big")
    static let invalidUTF8 = Self(.invalidPayloadData, "invalid UTF-8 in text")
}
