/// Protocol limits and options for one connection (both roles).
public struct WebSocketConfiguration: Sendable, Equatable {
    /// Largest message (after decompression) accepted; larger ones close with 1009.
    public var maxMessageSize: Int
    /// Largest single frame payload accepted (checked on the header, before buffering).
    public var maxFramePayload: Int
    /// permessage-deflate: nil disables it. A server accepts a matching offer; a client
    /// sends an offer built from these options.
    public var deflate: PerMessageDeflateOptions?

    public init(maxMessageSize: Int = 1 << 20, maxFramePayload: Int? = nil, deflate: PerMessageDeflateOptions? = nil) {
        self.maxMessageSize = maxMessageSize
        self.maxFramePayload = maxFramePayload ?? maxMessageSize
        self.deflate = deflate
    }
}

/// What the I/O layer must do after feeding bytes to a `WebSocketStateMachine`.
public enum WebSocketAction: Sendable, Equatable {
    /// Write these bytes (a pong, a close reply or a close for a protocol error).
    case write([UInt8])
    /// A complete message for the application.
    case deliver(WebSocketMessage)
    /// A pong arrived (keepalive bookkeeping).
    case pongReceived([UInt8])
    /// The close handshake is over or the connection failed: after flushing earlier
    /// writes, close the TCP connection. `code` is the status the peer sent (or
    /// 1005 if none), or the code we failed the connection with.
    case closeConnection(code: WebSocketCloseCode, reason: String)
}
