/// Server-side session settings: protocol limits plus keepalive and backpressure.
public struct WebSocketServerConfiguration: Sendable {
    /// Message limits and permessage-deflate (accepted when a client offers it).
    public var protocolConfiguration: WebSocketConfiguration
    /// Ping a peer that has sent nothing for this long (nil: no keepalive).
    public var pingInterval: Duration?
    /// A peer silent for `pingInterval + pongTimeout` is dead: the connection is dropped.
    public var pongTimeout: Duration
    /// Bytes that may wait in one connection's send queue. `send` waits above half of it;
    /// `trySend` (broadcasts) closes the session with 1008 when it would overflow.
    public var maxSendQueueBytes: Int
    /// How long `send` may wait for a slow reader before the session closes with 1008.
    public var sendTimeout: Duration
    /// Inbound messages the application has not consumed yet, in bytes; above it the
    /// session closes with 1008 (the app is not keeping up).
    public var maxInboundQueueBytes: Int
    /// How long to wait for the peer's close frame after sending ours.
    public var closeTimeout: Duration

    public init(
        protocolConfiguration: WebSocketConfiguration = .init(deflate: PerMessageDeflateOptions()),
        pingInterval: Duration? = .seconds(30), pongTimeout: Duration = .seconds(10),
        maxSendQueueBytes: Int = 1 << 20, sendTimeout: Duration = .seconds(30),
        maxInboundQueueBytes: Int = 4 << 20, closeTimeout: Duration = .seconds(5)
    ) {
        self.protocolConfiguration = protocolConfiguration
        self.pingInterval = pingInterval
        self.pongTimeout = pongTimeout
        self.maxSendQueueBytes = maxSendQueueBytes
        self.sendTimeout = sendTimeout
        self.maxInboundQueueBytes = maxInboundQueueBytes
        self.closeTimeout = closeTimeout
    }
}
